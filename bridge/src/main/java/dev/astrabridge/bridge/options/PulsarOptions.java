package dev.astrabridge.bridge.options;

import java.util.List;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** Astra Streaming (Pulsar) connection and subscription. */
public interface PulsarOptions extends PipelineOptions {
  @Description("Pulsar service URL, e.g. pulsar+ssl://pulsar-gcp-useast1.streaming.datastax.com:6651")
  @TemplateRegex("^pulsar(\\+ssl)?://.+$")
  String getPulsarServiceUrl();

  void setPulsarServiceUrl(String value);

  @Description("Pulsar admin (REST) URL for backlog figures and timestamp start positions, e.g."
      + " https://pulsar-gcp-useast1.api.streaming.datastax.com (optional)")
  String getPulsarAdminUrl();

  void setPulsarAdminUrl(String value);

  @Description("Pulsar token: file:/path, env:NAME, projects/P/secrets/S/versions/V (resolved on the workers), or the"
      + " token itself (local runs only)")
  @TemplateRegex("^(file:.+|env:.+|projects/[^/]+/secrets/[^/]+/versions/[^/]+)$")
  String getPulsarToken();

  void setPulsarToken(String value);

  @Description("PEM file of the CA that signed the broker's certificate; unset: the JVM's trust store")
  String getPulsarTlsTrustCerts();

  void setPulsarTlsTrustCerts(String value);

  @Description("Verify the broker's host name against its certificate")
  @Default.Boolean(true)
  Boolean getPulsarTlsHostnameVerification();

  void setPulsarTlsHostnameVerification(Boolean value);

  @Description("Topics to read, comma separated, e.g. persistent://tenant/namespace/orders")
  List<String> getPulsarTopics();

  void setPulsarTopics(List<String> value);

  @Description("Or a regular expression over the topics of one namespace, e.g. persistent://tenant/ns/orders-.*")
  String getPulsarTopicsPattern();

  void setPulsarTopicsPattern(String value);

  @Description("Durable subscription name; a restarted or updated job resumes where it stopped")
  @Default.String("astra-bridge")
  String getPulsarSubscription();

  void setPulsarSubscription(String value);

  @Description("Subscription type: Failover (ordered per partition), Exclusive, Shared or Key_Shared")
  @Default.String("Failover")
  @TemplateRegex("^(Failover|Exclusive|Shared|Key_Shared)$")
  String getPulsarSubscriptionType();

  void setPulsarSubscriptionType(String value);

  @Description("Where a NEW subscription starts: earliest, latest, or an ISO-8601 publish time (needs the admin URL)")
  @Default.String("earliest")
  @TemplateRegex("^(earliest|latest|\\d{4}-\\d\\d-\\d\\dT.+)$")
  String getPulsarStartPosition();

  void setPulsarStartPosition(String value);

  @Description("After this long without messages a partition's watermark follows the clock, e.g. 10s")
  @Default.String("10s")
  @TemplateRegex("^(\\d+(ms|s|m|h|d)|P[0-9A-Z.]+)$")
  String getPulsarIdleTimeout();

  void setPulsarIdleTimeout(String value);

  @Description("Split the Pulsar source without contacting the broker and let each reader list its partitions on the"
      + " worker: auto (on with the DataflowRunner, whose launcher splits sources while it builds the job graph and so"
      + " would need the broker and the token), true or false (false also checks the token when the job starts)")
  @Default.String("auto")
  @TemplateRegex("^(auto|true|false)$")
  String getPulsarSplitOnWorkers();

  void setPulsarSplitOnWorkers(String value);
}
