/*
 * Setup steps of the local stack that need CQL. Run by ./stack as a single-file program
 * (java -cp <driver classpath> StackTool.java ...), so the stack never depends on the project having been built.
 *
 *   cassandra-setup <host> <port> <roleName> <passwordFile> <cqlDir>
 *       waits until the default superuser can log in, creates or updates the Astra-style role, applies every
 *       *.cql file of <cqlDir> in name order, grants the role all permissions on all keyspaces (like an Astra
 *       "Database Administrator" token), and prints "host_id=<uuid>" (the SNI proxy routes on it).
 *
 * Secrets are read from files and never printed.
 */
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

public class StackTool {
  public static void main(String[] args) throws Exception {
    if (args.length == 6 && args[0].equals("cassandra-setup")) {
      cassandraSetup(args[1], Integer.parseInt(args[2]), args[3], Path.of(args[4]), Path.of(args[5]));
    } else {
      System.err.println("usage: StackTool cassandra-setup <host> <port> <roleName> <passwordFile> <cqlDir>");
      System.exit(2);
    }
  }

  static void cassandraSetup(String host, int port, String role, Path passwordFile, Path cqlDir) throws Exception {
    String password = Files.readString(passwordFile).trim();
    long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
    Exception last = null;
    while (System.nanoTime() < deadline) {
      try (CqlSession session = connect(host, port)) {
        session.execute("CREATE ROLE IF NOT EXISTS \"" + role + "\" WITH PASSWORD = '" + password + "' AND LOGIN = true");
        session.execute("ALTER ROLE \"" + role + "\" WITH PASSWORD = '" + password + "'");
        for (String statement : statements(cqlDir)) {
          session.execute(statement);
        }
        session.execute("GRANT ALL PERMISSIONS ON ALL KEYSPACES TO \"" + role + "\"");
        System.out.println("host_id=" + session.execute("SELECT host_id FROM system.local").one().getUuid(0));
        return;
      } catch (Exception e) {
        // The node answers before the default superuser exists; keep trying until the deadline.
        last = e;
        Thread.sleep(1000);
      }
    }
    throw new IllegalStateException("Cassandra at " + host + ":" + port + " did not accept setup within 180 s", last);
  }

  static CqlSession connect(String host, int port) {
    return CqlSession.builder()
        .addContactPoint(new InetSocketAddress(host, port))
        .withLocalDatacenter("datacenter1")
        .withAuthCredentials("cassandra", "cassandra")
        .withConfigLoader(DriverConfigLoader.programmaticBuilder()
            .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(30))
            .withDuration(DefaultDriverOption.CONNECTION_INIT_QUERY_TIMEOUT, Duration.ofSeconds(10))
            .build())
        .build();
  }

  /** Statements of every .cql file in name order; `--` comments dropped, split on a ';' that ends a line. */
  static List<String> statements(Path dir) throws Exception {
    List<String> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.filter(p -> p.toString().endsWith(".cql")).sorted().toList()) {
        StringBuilder current = new StringBuilder();
        for (String line : Files.readAllLines(file)) {
          String trimmed = line.strip();
          if (trimmed.startsWith("--") || trimmed.isEmpty()) {
            continue;
          }
          current.append(line).append('\n');
          if (trimmed.endsWith(";")) {
            out.add(current.toString().strip().replaceAll(";$", ""));
            current.setLength(0);
          }
        }
      }
    }
    return out;
  }
}
