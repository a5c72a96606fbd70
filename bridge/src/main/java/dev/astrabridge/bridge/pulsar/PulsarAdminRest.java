package dev.astrabridge.bridge.pulsar;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.pulsar.common.naming.TopicName;

/**
 * The few admin (REST) calls the IO makes, with the connection's token and TLS trust: subscription backlog (for
 * autoscaling) and creating a subscription at a timestamp. A small JDK HTTP client instead of the 30 MB admin
 * library. Errors name the call and the HTTP status, never the token.
 */
final class PulsarAdminRest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final PulsarConnection connection;
  private final HttpClient http;

  private PulsarAdminRest(PulsarConnection connection, HttpClient http) {
    this.connection = connection;
    this.http = http;
  }

  static PulsarAdminRest of(PulsarConnection connection) {
    if (connection.adminUrl() == null) {
      throw new IllegalArgumentException("this needs the Pulsar admin URL: set withAdminUrl() / --pulsarAdminUrl");
    }
    HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10));
    if (connection.tlsTrustCertsFile() != null) {
      builder.sslContext(sslContext(connection.tlsTrustCertsFile()));
    }
    return new PulsarAdminRest(connection, builder.build());
  }

  private static SSLContext sslContext(String pem) {
    try (InputStream in = Files.newInputStream(Path.of(pem))) {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int i = 0;
      for (var cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        store.setCertificateEntry("ca-" + i++, cert);
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(store);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), null);
      return context;
    } catch (Exception e) {
      throw new IllegalArgumentException("TLS trust certificates " + pem + " are not usable: " + e.getMessage(), e);
    }
  }

  private String topicPath(String topic) {
    TopicName name = TopicName.get(topic);
    return "/admin/v2/" + name.getDomain() + "/" + name.getTenant() + "/" + name.getNamespacePortion() + "/"
        + URLEncoder.encode(name.getLocalName(), StandardCharsets.UTF_8);
  }

  private HttpResponse<String> send(String method, String path, String body) throws IOException {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(connection.adminUrl() + path))
        .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (connection.token() != null) {
      request.header("Authorization", "Bearer " + connection.token().resolve());
    }
    try {
      return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + method + " " + path, e);
    }
  }

  /**
   * Every version of the topic's registered schema: version → (type, definition). Empty when the topic has none.
   * A partitioned topic's schema belongs to its base name.
   */
  Map<Long, String[]> schemaVersions(String topic) throws IOException {
    TopicName name = TopicName.get(TopicName.get(topic).getPartitionedTopicName());
    String path = "/admin/v2/schemas/" + name.getTenant() + "/" + name.getNamespacePortion() + "/"
        + URLEncoder.encode(name.getLocalName(), StandardCharsets.UTF_8) + "/schemas";
    HttpResponse<String> response = send("GET", path, null);
    if (response.statusCode() == 404) {
      return Map.of();
    }
    if (response.statusCode() != 200) {
      throw new IOException("reading the registered schemas of " + topic + " answered HTTP " + response.statusCode()
          + (response.statusCode() == 401 || response.statusCode() == 403 ? " (the token may not read this namespace's"
              + " schemas)" : ": " + response.body()));
    }
    Map<Long, String[]> versions = new java.util.TreeMap<>();
    for (JsonNode v : JSON.readTree(response.body()).path("getSchemaResponses")) {
      versions.put(v.path("version").asLong(), new String[] {v.path("type").asText(), v.path("data").asText()});
    }
    return versions;
  }

  /** Bytes of the subscription's backlog on one topic, or -1 when unknown (no rights, no such subscription). */
  long backlogBytes(String topic, String subscription) {
    try {
      HttpResponse<String> response = send("GET", topicPath(topic) + "/stats", null);
      if (response.statusCode() != 200) {
        return -1;
      }
      JsonNode sub = JSON.readTree(response.body()).path("subscriptions").path(subscription);
      if (sub.isMissingNode()) {
        return -1;
      }
      if (sub.has("backlogSize") && sub.get("backlogSize").asLong() >= 0) {
        return sub.get("backlogSize").asLong();
      }
      return -1;
    } catch (IOException e) {
      return -1;
    }
  }

  /** Creates the subscription positioned at a publish timestamp, unless it already exists (then it resumes). */
  void createSubscriptionAt(String topic, String subscription, long timestampMillis) throws IOException {
    String sub = topicPath(topic) + "/subscription/" + URLEncoder.encode(subscription, StandardCharsets.UTF_8);
    HttpResponse<String> created = send("PUT", sub, "{\"ledgerId\":-1,\"entryId\":-1,\"partitionIndex\":-1}");
    if (created.statusCode() == 409) {
      return; // exists: a restarted job resumes where it stopped
    }
    if (created.statusCode() / 100 != 2) {
      throw new IOException("creating subscription " + subscription + " on " + topic + " answered HTTP "
          + created.statusCode() + ": " + created.body());
    }
    HttpResponse<String> reset = send("POST", sub + "/resetcursor/" + timestampMillis, null);
    if (reset.statusCode() / 100 != 2) {
      throw new IOException("positioning subscription " + subscription + " on " + topic + " at " + timestampMillis
          + " answered HTTP " + reset.statusCode() + ": " + reset.body());
    }
  }
}
