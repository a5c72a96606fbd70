package dev.astrabridge.astradb.connect;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.CqlSessionBuilder;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.config.DriverOption;
import com.datastax.oss.driver.api.core.config.ProgrammaticDriverConfigLoaderBuilder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Builds the real driver session: settings from {@code astra-bridge-driver.conf}, overridden by the connection's
 * driver options; the Secure Connect Bundle and token for Astra DB; contact points, credentials and TLS otherwise.
 */
public final class DefaultSessionFactory implements SessionFactory {
  private static final long serialVersionUID = 1L;

  /** The classpath resource (without .conf) holding the project's documented driver settings. */
  public static final String DRIVER_CONFIG_RESOURCE = "astra-bridge-driver";

  @Override
  public CqlSession open(AstraDbConnection connection) {
    CqlSessionBuilder builder = CqlSession.builder().withConfigLoader(configLoader(connection));
    if (connection.isAstra()) {
      byte[] bundle = connection.secureConnectBundle().resolveBinary();
      builder.withCloudSecureConnectBundle(new ByteArrayInputStream(bundle))
          .withAuthCredentials("token", connection.token().resolve());
    } else {
      for (String contactPoint : connection.contactPoints()) {
        String[] hostPort = AstraDbConnection.parseHostPort(contactPoint);
        builder.addContactPoint(InetSocketAddress.createUnresolved(hostPort[0], Integer.parseInt(hostPort[1])));
      }
      builder.withLocalDatacenter(connection.localDatacenter());
      if (connection.username() != null) {
        builder.withAuthCredentials(connection.username(), connection.password().resolve());
      }
      if (connection.tlsTrustCertificate() != null) {
        builder.withSslContext(sslContext(connection.tlsTrustCertificate()));
      }
    }
    return builder.build();
  }

  static DriverConfigLoader configLoader(AstraDbConnection connection) {
    DriverConfigLoader documented = DriverConfigLoader.fromClasspath(DRIVER_CONFIG_RESOURCE);
    if (connection.driverOptions().isEmpty()) {
      return documented;
    }
    ProgrammaticDriverConfigLoaderBuilder overrides = DriverConfigLoader.programmaticBuilder();
    connection.driverOptions().forEach((path, value) -> overrides.withString(option(path), value));
    return DriverConfigLoader.compose(overrides.build(), documented);
  }

  private static DriverOption option(String path) {
    return () -> path;
  }

  private static SSLContext sslContext(String trustCertificatePem) {
    try {
      TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      if (trustCertificatePem.isEmpty()) {
        trust.init((KeyStore) null);
      } else {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        try (InputStream in = Files.newInputStream(Path.of(trustCertificatePem))) {
          int i = 0;
          for (var certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
            store.setCertificateEntry("ca-" + i++, certificate);
          }
        }
        trust.init(store);
      }
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, trust.getTrustManagers(), null);
      return context;
    } catch (IOException e) {
      throw new UncheckedIOException("TLS trust certificate " + trustCertificatePem + " cannot be read", e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("TLS trust certificate " + trustCertificatePem + " is not usable: " + e.getMessage(), e);
    }
  }
}
