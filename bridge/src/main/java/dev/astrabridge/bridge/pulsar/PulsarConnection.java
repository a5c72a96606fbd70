package dev.astrabridge.bridge.pulsar;

import com.google.auto.value.AutoValue;
import dev.astrabridge.astradb.connect.SecretRef;
import java.io.Serializable;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.pulsar.client.api.AuthenticationFactory;
import org.apache.pulsar.client.api.ClientBuilder;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.PulsarClientException;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * How to reach an Astra Streaming (Pulsar) cluster: service URL ({@code pulsar+ssl://host:6651}), JWT token as a
 * {@link SecretRef} resolved on the worker (re-read on every reconnect, so rotated token files are picked up), TLS
 * trust (a CA certificate file, or the JVM's trust store when unset) with hostname verification on by default, and
 * an optional admin (REST) URL used for backlog figures and timestamp start positions.
 */
@AutoValue
public abstract class PulsarConnection implements Serializable {
  private static final long serialVersionUID = 1L;

  public abstract String serviceUrl();

  public abstract @Nullable String adminUrl();

  public abstract @Nullable SecretRef token();

  /** PEM file of the trusted CA; null: the JVM's default trust store. */
  public abstract @Nullable String tlsTrustCertsFile();

  public abstract boolean tlsHostnameVerification();

  abstract Builder toBuilder();

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setServiceUrl(String value);

    abstract Builder setAdminUrl(@Nullable String value);

    abstract Builder setToken(@Nullable SecretRef value);

    abstract Builder setTlsTrustCertsFile(@Nullable String value);

    abstract Builder setTlsHostnameVerification(boolean value);

    abstract PulsarConnection build();
  }

  public static PulsarConnection of(String serviceUrl) {
    if (serviceUrl == null || !serviceUrl.matches("pulsar(\\+ssl)?://.+")) {
      throw new IllegalArgumentException("Pulsar service URL '" + serviceUrl + "': expected pulsar+ssl://host:port"
          + " (Astra Streaming) or pulsar://host:port");
    }
    return new AutoValue_PulsarConnection.Builder().setServiceUrl(serviceUrl).setTlsHostnameVerification(true).build();
  }

  public PulsarConnection withToken(SecretRef token) {
    return toBuilder().setToken(token).build();
  }

  public PulsarConnection withTlsTrustCertsFile(String pemFile) {
    return toBuilder().setTlsTrustCertsFile(pemFile).build();
  }

  /** Turns hostname verification off (never for Astra Streaming; only for brokers whose certificate names differ). */
  public PulsarConnection withTlsHostnameVerification(boolean verify) {
    return toBuilder().setTlsHostnameVerification(verify).build();
  }

  public PulsarConnection withAdminUrl(String adminUrl) {
    if (adminUrl != null && !adminUrl.matches("https?://.+")) {
      throw new IllegalArgumentException("Pulsar admin URL '" + adminUrl + "': expected https://host:port");
    }
    return toBuilder().setAdminUrl(adminUrl).build();
  }

  public boolean isTls() {
    return serviceUrl().startsWith("pulsar+ssl://");
  }

  /** A new client; callers share it through {@link PulsarClients}. */
  PulsarClient newClient() throws PulsarClientException {
    ClientBuilder builder = PulsarClient.builder()
        .serviceUrl(serviceUrl())
        .operationTimeout(30, TimeUnit.SECONDS)
        .connectionTimeout(10, TimeUnit.SECONDS)
        .enableTlsHostnameVerification(tlsHostnameVerification())
        .allowTlsInsecureConnection(false);
    if (tlsTrustCertsFile() != null) {
      builder.tlsTrustCertsFilePath(tlsTrustCertsFile());
    }
    if (token() != null) {
      SecretRef token = token();
      builder.authentication(AuthenticationFactory.token(token::resolve));
    }
    return builder.build();
  }

  /** Identifies the shared client: toString() shows a literal token as <literal>, so its identity is added. */
  String key() {
    return toString() + "|" + (token() == null ? "-" : token().identity());
  }

  public void populateDisplayData(DisplayData.Builder builder) {
    builder.add(DisplayData.item("serviceUrl", serviceUrl()).withLabel("Pulsar service URL"))
        .addIfNotNull(DisplayData.item("adminUrl", adminUrl()).withLabel("Pulsar admin URL"))
        .addIfNotNull(DisplayData.item("token", token() == null ? null : token().describe()).withLabel("Token (reference)"))
        .addIfNotNull(DisplayData.item("tlsTrustCertsFile", tlsTrustCertsFile()).withLabel("TLS trust certificates"))
        .add(DisplayData.item("tlsHostnameVerification", tlsHostnameVerification()).withLabel("TLS hostname verification"));
  }
}
