package dev.astrabridge.astradb.connect;

import com.google.auto.value.AutoValue;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * How to reach Astra DB or a self-managed Cassandra. Immutable and serializable; secrets are {@link SecretRef}s,
 * resolved on the worker when the session is opened.
 *
 * <ul>
 *   <li>Astra DB: {@link #astra(SecretRef, SecretRef)} — a Secure Connect Bundle and an application token
 *       ({@code AstraCS:...}, sent as password of the user "token").</li>
 *   <li>Cassandra: {@link #cassandra(List, String)} — contact points ({@code host:port}) and the local datacenter,
 *       optionally {@link #withCredentials} and {@link #withTls}.</li>
 * </ul>
 *
 * Driver settings come from {@code astra-bridge-driver.conf} (in this jar); {@link #withDriverOption} overrides any
 * of them by its path in the driver's reference.conf (e.g. {@code basic.request.timeout = 5 seconds}).
 */
@AutoValue
public abstract class AstraDbConnection implements Serializable {
  private static final long serialVersionUID = 1L;

  public abstract @Nullable SecretRef secureConnectBundle();

  public abstract @Nullable SecretRef token();

  public abstract List<String> contactPoints();

  public abstract @Nullable String localDatacenter();

  public abstract @Nullable String username();

  public abstract @Nullable SecretRef password();

  /** TLS to a self-managed cluster: the trusted CA certificate (PEM path), or "" for the JVM trust store. */
  public abstract @Nullable String tlsTrustCertificate();

  public abstract Map<String, String> driverOptions();

  abstract Builder toBuilder();

  @AutoValue.Builder
  abstract static class Builder {
    abstract Builder setSecureConnectBundle(@Nullable SecretRef value);

    abstract Builder setToken(@Nullable SecretRef value);

    abstract Builder setContactPoints(List<String> value);

    abstract Builder setLocalDatacenter(@Nullable String value);

    abstract Builder setUsername(@Nullable String value);

    abstract Builder setPassword(@Nullable SecretRef value);

    abstract Builder setTlsTrustCertificate(@Nullable String value);

    abstract Builder setDriverOptions(Map<String, String> value);

    abstract AstraDbConnection build();
  }

  /** Astra DB through its Secure Connect Bundle (a path, gs:// URI or secret reference) and an application token. */
  public static AstraDbConnection astra(SecretRef secureConnectBundle, SecretRef token) {
    return new AutoValue_AstraDbConnection.Builder()
        .setSecureConnectBundle(Objects.requireNonNull(secureConnectBundle, "secureConnectBundle"))
        .setToken(Objects.requireNonNull(token, "token"))
        .setContactPoints(List.of())
        .setDriverOptions(Map.of())
        .build();
  }

  /** A self-managed Cassandra: contact points as host:port and the local datacenter name. */
  public static AstraDbConnection cassandra(List<String> contactPoints, String localDatacenter) {
    if (contactPoints == null || contactPoints.isEmpty()) {
      throw new IllegalArgumentException("contactPoints: at least one host:port is required");
    }
    for (String contactPoint : contactPoints) {
      parseHostPort(contactPoint);
    }
    if (localDatacenter == null || localDatacenter.isBlank()) {
      throw new IllegalArgumentException("localDatacenter: required with contact points (e.g. datacenter1)");
    }
    return new AutoValue_AstraDbConnection.Builder()
        .setContactPoints(List.copyOf(contactPoints))
        .setLocalDatacenter(localDatacenter)
        .setDriverOptions(Map.of())
        .build();
  }

  public AstraDbConnection withCredentials(String username, SecretRef password) {
    if (secureConnectBundle() != null) {
      throw new IllegalArgumentException("withCredentials: an Astra DB connection authenticates with its token");
    }
    return toBuilder().setUsername(Objects.requireNonNull(username)).setPassword(Objects.requireNonNull(password)).build();
  }

  /** TLS to a self-managed cluster, trusting the CA in this PEM file ("" trusts the JVM's default store). */
  public AstraDbConnection withTls(String trustCertificatePem) {
    if (secureConnectBundle() != null) {
      throw new IllegalArgumentException("withTls: the Secure Connect Bundle already carries the TLS settings");
    }
    return toBuilder().setTlsTrustCertificate(Objects.requireNonNull(trustCertificatePem)).build();
  }

  /** Overrides one driver setting by its path, e.g. ("basic.request.timeout", "5 seconds"). */
  public AstraDbConnection withDriverOption(String path, String value) {
    Map<String, String> options = new LinkedHashMap<>(driverOptions());
    options.put(Objects.requireNonNull(path), Objects.requireNonNull(value));
    return toBuilder().setDriverOptions(Map.copyOf(options)).build();
  }

  public boolean isAstra() {
    return secureConnectBundle() != null;
  }

  /** A key that identifies the session this connection opens (secret references, never secret values). */
  public String sessionKey() {
    // toString() shows a literal secret as <literal>: add identities so different literals never share a session
    return toString() + "|" + identity(token()) + "|" + identity(password()) + "|" + identity(secureConnectBundle());
  }

  private static String identity(@Nullable SecretRef ref) {
    return ref == null ? "-" : ref.identity();
  }

  static String[] parseHostPort(String contactPoint) {
    int colon = contactPoint == null ? -1 : contactPoint.lastIndexOf(':');
    if (colon <= 0 || colon == contactPoint.length() - 1) {
      throw new IllegalArgumentException("contact point '" + contactPoint + "': expected host:port, e.g. 127.0.0.1:9042");
    }
    try {
      int port = Integer.parseInt(contactPoint.substring(colon + 1));
      if (port < 1 || port > 65535) {
        throw new NumberFormatException();
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("contact point '" + contactPoint + "': the port must be 1-65535");
    }
    return new String[] {contactPoint.substring(0, colon), contactPoint.substring(colon + 1)};
  }

  /** Display data: where it connects and how secrets are referenced, never their values. */
  public void populateDisplayData(DisplayData.Builder builder) {
    if (isAstra()) {
      builder.add(DisplayData.item("secureConnectBundle", secureConnectBundle().describe()).withLabel("Secure Connect Bundle"));
      builder.add(DisplayData.item("token", token().describe()).withLabel("Astra token (reference)"));
    } else {
      builder.add(DisplayData.item("contactPoints", String.join(",", contactPoints())).withLabel("Contact points"));
      builder.add(DisplayData.item("localDatacenter", localDatacenter()).withLabel("Local datacenter"));
      builder.addIfNotNull(DisplayData.item("username", username()).withLabel("Username"));
      if (password() != null) {
        builder.add(DisplayData.item("password", password().describe()).withLabel("Password (reference)"));
      }
      builder.add(DisplayData.item("tls", tlsTrustCertificate() != null).withLabel("TLS"));
    }
    List<String> overrides = new ArrayList<>();
    driverOptions().forEach((k, v) -> overrides.add(k + "=" + v));
    if (!overrides.isEmpty()) {
      builder.add(DisplayData.item("driverOptions", String.join(", ", overrides)).withLabel("Driver options"));
    }
  }
}
