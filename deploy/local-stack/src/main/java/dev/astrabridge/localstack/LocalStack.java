package dev.astrabridge.localstack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real local stack (Pulsar, Cassandra, the SNI proxy with its Secure Connect Bundle, the Pub/Sub emulator) as
 * integration tests see it: endpoints, and the paths of the generated secret files.
 *
 * <p>{@link #get()} reuses a stack that is already up (as {@code .ci/run} leaves it, so every module's tests share
 * one set of servers) or runs {@code deploy/local-stack/stack up} and remembers which services it started;
 * {@link #stopWhatWasStarted()} stops exactly those. Secret values are read from files on demand and are never
 * part of {@link #toString()} or any exception message.
 */
public final class LocalStack {
  /** The stack's services, as {@code deploy/local-stack/stack} names them. */
  public static final List<String> SERVICES = List.of("pulsar", "cassandra", "proxy", "pubsub");

  private static LocalStack instance;

  private final Path repoRoot;
  private final Path script;
  private final Path envFile;
  private final List<String> started = new ArrayList<>();
  private volatile Map<String, String> env;

  private LocalStack(Path repoRoot) {
    this.repoRoot = repoRoot;
    this.script = repoRoot.resolve("deploy/local-stack/stack");
    String dir = System.getenv("ASTRA_BRIDGE_STACK_DIR");
    this.envFile = (dir != null ? Path.of(dir) : repoRoot.resolve("deploy/local-stack/.run")).resolve("stack.env");
  }

  /** The stack, started if it is not already up. */
  public static synchronized LocalStack get() {
    if (instance == null) {
      LocalStack stack = new LocalStack(findRepoRoot());
      stack.ensureUp();
      instance = stack;
    }
    return instance;
  }

  static Path findRepoRoot() {
    String configured = System.getProperty("astra.bridge.repo");
    if (configured != null) {
      return Path.of(configured).toAbsolutePath();
    }
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("deploy/local-stack/stack"))) {
        return p;
      }
    }
    throw new IllegalStateException("cannot find deploy/local-stack/stack above " + Path.of("").toAbsolutePath()
        + "; set -Dastra.bridge.repo=<checkout>");
  }

  private void ensureUp() {
    List<String> down = new ArrayList<>();
    Map<String, String> current = Files.isRegularFile(envFile) ? readEnv(envFile) : Map.of();
    for (String service : SERVICES) {
      if (current.isEmpty() || !answers(service, current)) {
        down.add(service);
      }
    }
    if (!down.isEmpty()) {
      List<String> command = new ArrayList<>(List.of(script.toString(), "up"));
      // the proxy routes to Cassandra's host id: when Cassandra (re)starts, (re)start the proxy too
      if (down.contains("cassandra") && !down.contains("proxy")) {
        down.add("proxy");
      }
      command.addAll(down);
      run(command, 600);
      started.addAll(down);
    }
    env = readEnv(envFile);
  }

  private static boolean answers(String service, Map<String, String> env) {
    try {
      return switch (service) {
        case "pulsar" -> portOpen(hostPort(env.get("PULSAR_SERVICE_URL_TLS").replaceFirst("^pulsar\\+ssl://", "")));
        case "cassandra" -> portOpen(new InetSocketAddress(env.get("CASSANDRA_HOST"),
            Integer.parseInt(env.get("CASSANDRA_PORT"))));
        case "proxy" -> portOpen(hostPort(env.get("SNI_PROXY_ADDRESS")));
        case "pubsub" -> portOpen(hostPort(env.get("PUBSUB_EMULATOR_HOST")));
        default -> false;
      };
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static InetSocketAddress hostPort(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    return new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
  }

  private static boolean portOpen(InetSocketAddress address) {
    try (Socket socket = new Socket()) {
      socket.connect(address, 1000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Stops the services this JVM started (none when it reused a running stack). */
  public synchronized void stopWhatWasStarted() {
    if (!started.isEmpty()) {
      List<String> command = new ArrayList<>(List.of(script.toString(), "down"));
      command.addAll(started);
      run(command, 120);
      started.clear();
    }
  }

  /** Stops one service (fault tests). */
  public void stop(String service) {
    run(List.of(script.toString(), "down", service), 120);
  }

  /** Starts one service again and waits until it answers (fault tests). */
  public void start(String service) {
    run(List.of(script.toString(), "up", service), 300);
    env = readEnv(envFile);
  }

  private void run(List<String> command, int timeoutSeconds) {
    try {
      Process process = new ProcessBuilder(command).directory(repoRoot.toFile())
          .redirectOutput(ProcessBuilder.Redirect.INHERIT).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException(String.join(" ", command) + " did not finish in " + timeoutSeconds + " s");
      }
      if (process.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", command) + " failed with exit code " + process.exitValue());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running " + command, e);
    }
  }

  static Map<String, String> readEnv(Path file) {
    Map<String, String> values = new LinkedHashMap<>();
    try {
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        if (!line.isBlank() && !line.startsWith("#") && line.contains("=")) {
          values.put(line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    return values;
  }

  private String value(String key) {
    String v = env.get(key);
    if (v == null) {
      throw new IllegalStateException(key + " is missing from " + envFile);
    }
    return v;
  }

  private static String readSecret(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      // the path only, never the content
      throw new UncheckedIOException("cannot read the secret file " + file, e);
    }
  }

  public Path repoRoot() { return repoRoot; }

  public Path caCert() { return Path.of(value("CA_CERT")); }

  public String pulsarServiceUrl() { return value("PULSAR_SERVICE_URL"); }

  public String pulsarServiceUrlTls() { return value("PULSAR_SERVICE_URL_TLS"); }

  public String pulsarAdminUrl() { return value("PULSAR_ADMIN_URL"); }

  public String pulsarTenant() { return value("PULSAR_TENANT"); }

  /** {@code persistent://<tenant>/<namespace>/<topic>}. */
  public String pulsarTopic(String namespace, String topic) {
    return "persistent://" + pulsarTenant() + "/" + namespace + "/" + topic;
  }

  public Path pulsarAdminTokenFile() { return Path.of(value("PULSAR_ADMIN_TOKEN_FILE")); }

  /** Creates a partitioned topic through the admin REST API, with the admin token. */
  public void createPartitionedTopic(String topic, int partitions) {
    String path = topic.replace("persistent://", "/admin/v2/persistent/") + "/partitions";
    java.net.http.HttpResponse<String> response = pulsarAdmin("PUT", path, Integer.toString(partitions));
    if (response.statusCode() != 204) {
      throw new IllegalStateException("creating " + topic + " answered HTTP " + response.statusCode() + ": " + response.body());
    }
  }

  /** The admin REST API's stats of a (non-partitioned) topic, as JSON text. */
  public String pulsarTopicStats(String topic) {
    java.net.http.HttpResponse<String> response = pulsarAdmin("GET",
        topic.replace("persistent://", "/admin/v2/persistent/") + "/stats", null);
    if (response.statusCode() != 200) {
      throw new IllegalStateException("stats of " + topic + " answered HTTP " + response.statusCode() + ": " + response.body());
    }
    return response.body();
  }

  /** One call to the admin REST API over TLS (the stack's CA), with the admin token. */
  public java.net.http.HttpResponse<String> pulsarAdmin(String method, String path, String body) {
    try {
      java.security.KeyStore trust = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
      trust.load(null, null);
      try (var in = Files.newInputStream(caCert())) {
        trust.setCertificateEntry("ca", java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
      }
      var tmf = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      var ssl = javax.net.ssl.SSLContext.getInstance("TLS");
      ssl.init(null, tmf.getTrustManagers(), null);
      return java.net.http.HttpClient.newBuilder().sslContext(ssl).build().send(
          java.net.http.HttpRequest.newBuilder(java.net.URI.create(pulsarAdminUrl() + path))
              .header("Authorization", "Bearer " + pulsarAdminToken()).header("Content-Type", "application/json")
              .method(method, body == null ? java.net.http.HttpRequest.BodyPublishers.noBody()
                  : java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("the stack's CA certificate is not usable", e);
    }
  }

  /** Token of the role with produce + consume grants on the tenant's namespaces. */
  public Path pulsarClientTokenFile() { return Path.of(value("PULSAR_CLIENT_TOKEN_FILE")); }

  /** Token of a valid role without any grant. */
  public Path pulsarOutsiderTokenFile() { return Path.of(value("PULSAR_OUTSIDER_TOKEN_FILE")); }

  /** Token for the client role signed by a key the broker does not trust. */
  public Path pulsarForeignTokenFile() { return Path.of(value("PULSAR_FOREIGN_TOKEN_FILE")); }

  public String pulsarClientToken() { return readSecret(pulsarClientTokenFile()); }

  public String pulsarAdminToken() { return readSecret(pulsarAdminTokenFile()); }

  public InetSocketAddress cassandraContactPoint() {
    return new InetSocketAddress(value("CASSANDRA_HOST"), Integer.parseInt(value("CASSANDRA_PORT")));
  }

  public String cassandraLocalDc() { return value("CASSANDRA_LOCAL_DC"); }

  public String keyspace() { return value("CASSANDRA_KEYSPACE"); }

  /** The Astra-style application token: the password of the role "token". */
  public Path astraTokenFile() { return Path.of(value("ASTRA_TOKEN_FILE")); }

  public String astraToken() { return readSecret(astraTokenFile()); }

  public Path secureConnectBundle() { return Path.of(value("ASTRA_BUNDLE")); }

  /** host:port of the Pub/Sub emulator. */
  public String pubsubEmulatorHost() { return value("PUBSUB_EMULATOR_HOST"); }

  public String pubsubProject() { return value("PUBSUB_PROJECT"); }

  @Override
  public String toString() {
    return "LocalStack{pulsar=" + env.get("PULSAR_SERVICE_URL_TLS") + ", cassandra=" + env.get("CASSANDRA_HOST") + ":"
        + env.get("CASSANDRA_PORT") + ", sniProxy=" + env.get("SNI_PROXY_ADDRESS") + ", pubsub="
        + env.get("PUBSUB_EMULATOR_HOST") + "}";
  }
}
