package dev.astrabridge.bridge.options;

import java.util.List;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** Astra DB (Secure Connect Bundle + token) or a self-managed Cassandra, and the target table and mapping. */
public interface AstraDbOptions extends PipelineOptions {
  @Description("Secure Connect Bundle: a path, gs://bucket/scb.zip, or projects/P/secrets/S/versions/V")
  @TemplateRegex("^(gs://.+|/.+|projects/[^/]+/secrets/[^/]+/versions/[^/]+)$")
  String getAstraSecureConnectBundle();

  void setAstraSecureConnectBundle(String value);

  @Description("Astra application token (AstraCS:...): file:/path, env:NAME, projects/P/secrets/S/versions/V")
  @TemplateRegex("^(file:.+|env:.+|projects/[^/]+/secrets/[^/]+/versions/[^/]+)$")
  String getAstraToken();

  void setAstraToken(String value);

  @Description("Or self-managed Cassandra contact points, comma separated host:port, e.g. 10.0.0.5:9042")
  List<String> getCassandraContactPoints();

  void setCassandraContactPoints(List<String> value);

  @Description("Local datacenter of the contact points, e.g. datacenter1")
  String getCassandraLocalDc();

  void setCassandraLocalDc(String value);

  @Description("Cassandra user name (with --cassandraPassword)")
  String getCassandraUsername();

  void setCassandraUsername(String value);

  @Description("Cassandra password: file:/path, env:NAME or projects/P/secrets/S/versions/V")
  @TemplateRegex("^(file:.+|env:.+|projects/[^/]+/secrets/[^/]+/versions/[^/]+)$")
  String getCassandraPassword();

  void setCassandraPassword(String value);

  @Description("TLS to Cassandra: PEM file of the trusted CA (empty string: the JVM's trust store)")
  String getCassandraTlsTrustCert();

  void setCassandraTlsTrustCert(String value);

  @Description("Target keyspace, e.g. astra_bridge")
  String getKeyspace();

  void setKeyspace(String value);

  @Description("Target table, e.g. orders")
  String getTable();

  void setTable(String value);

  @Description("Mapping: comma separated 'column = expression' entries; expressions are field paths"
      + " (customer.address.city), @message_id, @key, @publish_time, @event_time, @attr:NAME, now(), literals;"
      + " targets __ttl and __timestamp; '*' maps the other columns by name. Empty: all by name")
  @Default.String("*")
  String getMapping();

  void setMapping(String value);

  @Description("Write consistency: LOCAL_QUORUM (default; Astra DB refuses ONE/ANY for writes), QUORUM, ...")
  @Default.String("LOCAL_QUORUM")
  @TemplateRegex("^(LOCAL_QUORUM|QUORUM|EACH_QUORUM|ALL|LOCAL_ONE|ONE|TWO|THREE)$")
  String getConsistency();

  void setConsistency(String value);

  @Description("Rows still failing after --writeRetryTimeout: DEAD_LETTER them, or FAIL_BUNDLE so the runner retries")
  @Default.String("DEAD_LETTER")
  @TemplateRegex("^(DEAD_LETTER|FAIL_BUNDLE)$")
  String getWriteFailurePolicy();

  void setWriteFailurePolicy(String value);

  @Description("How long a failing write is retried with backoff, e.g. 2m")
  @Default.String("2m")
  @TemplateRegex("^(\\d+(ms|s|m|h|d)|P[0-9A-Z.]+)$")
  String getWriteRetryTimeout();

  void setWriteRetryTimeout(String value);

  @Description("Boolean field path: when true the record deletes its row, e.g. deleted")
  String getDeleteField();

  void setDeleteField(String value);

  @Description("Driver settings overriding astra-bridge-driver.conf, comma separated path=value, e.g."
      + " basic.request.timeout=5 seconds")
  List<String> getDriverOptions();

  void setDriverOptions(List<String> value);
}
