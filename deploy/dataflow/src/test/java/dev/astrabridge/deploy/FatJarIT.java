package dev.astrabridge.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import dev.astrabridge.localstack.LocalStack;
import dev.astrabridge.localstack.LocalStackExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fat jar (target/astra-bridge-bundled.jar, what the Flex Template launcher and `flink run` get) on its own:
 * it prints its options, and runs a load on the embedded Flink runner and an export on the DirectRunner against the
 * local stack — so its merged META-INF/services (Beam registrars, file systems, the secret resolver) work.
 */
@ExtendWith(LocalStackExtension.class)
class FatJarIT {
  static final Path JAR = Path.of("target/astra-bridge-bundled.jar");

  record Run(int exit, String output) {}

  static Run java(Path dir, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "@" + Path.of("../../bridge/flink-jvm.options").toAbsolutePath().normalize(), "-Xmx1g", "-jar", JAR.toString()));
    command.addAll(List.of(args));
    Path log = dir.resolve("run-" + UUID.randomUUID() + ".log");
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("the fat jar did not finish in 5 minutes: " + String.join(" ", args));
    }
    return new Run(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
  }

  @Test
  void printsTheBridgeOptions(@TempDir Path dir) throws Exception {
    Run run = java(dir, "--help=dev.astrabridge.bridge.options.BridgeOptions");

    assertThat(run.exit()).isZero();
    assertThat(run.output()).contains("--mode=<String>").contains("--mirrorRoutes=<List>").contains("--exportTo=<String>")
        .contains("--pulsarToken=<String>");
  }

  @Test
  void loadsOnTheEmbeddedFlinkRunnerAndExportsOnTheDirectRunner(LocalStack stack, @TempDir Path dir) throws Exception {
    String table = "fatjar_smoke";
    try (CqlSession session = session(stack)) {
      prepare(session, table, dir, 500);
      List<String> cassandra = cassandraArgs(stack, table, dir.resolve("Row.avsc"));

      List<String> load = new ArrayList<>(List.of("--mode=load", "--runner=FlinkRunner", "--parallelism=2",
          "--loadFrom=" + dir.resolve("in.jsonl")));
      load.addAll(cassandra);
      Run loaded = java(dir, load.toArray(new String[0]));
      assertThat(loaded.exit()).as(tail(loaded.output())).isZero();
      assertThat(loaded.output()).contains("[load] DONE");
      assertThat(session.execute("SELECT count(*) FROM " + table).one().getLong(0)).isEqualTo(500);

      List<String> export = new ArrayList<>(List.of("--mode=export", "--runner=DirectRunner", "--fileFormat=csv",
          "--exportTo=" + dir.resolve("out/rows")));
      export.addAll(cassandra);
      Run exported = java(dir, export.toArray(new String[0]));
      assertThat(exported.exit()).as(tail(exported.output())).isZero();
      assertThat(exported.output()).contains("[export] DONE").contains("rows read 500");
      long lines500 = 0;
      try (var files = Files.list(dir.resolve("out"))) {
        for (Path f : files.filter(f -> f.toString().endsWith(".csv")).toList()) {
          lines500 += Files.readAllLines(f).size() - 1; // minus the header of each file
        }
      }
      assertThat(lines500).isEqualTo(500);
      assertThat(loaded.output() + exported.output()).doesNotContain(stack.astraToken());
    }
  }

  /** An empty table (id, name, at) and {@code n} rows for it in dir/in.jsonl, with their schema in dir/Row.avsc. */
  static void prepare(CqlSession session, String table, Path dir, int n) throws IOException {
    session.execute("CREATE TABLE IF NOT EXISTS " + table + " (id int PRIMARY KEY, name text, at timestamp)");
    session.execute("TRUNCATE " + table);
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < n; i++) {
      lines.append("{\"id\":").append(i).append(",\"name\":\"n").append(i).append("\",\"at\":\"2026-11-26T10:00:00Z\"}\n");
    }
    Files.writeString(dir.resolve("in.jsonl"), lines);
    Files.writeString(dir.resolve("Row.avsc"), "{\"type\":\"record\",\"name\":\"Row\",\"fields\":[{\"name\":\"id\",\"type\":"
        + "\"int\"},{\"name\":\"name\",\"type\":\"string\"},{\"name\":\"at\",\"type\":{\"type\":\"long\",\"logicalType\":"
        + "\"timestamp-millis\"}}]}");
  }

  /** A session on the stack's Cassandra, in its keyspace. */
  static CqlSession session(LocalStack stack) {
    return CqlSession.builder().addContactPoint(stack.cassandraContactPoint())
        .withLocalDatacenter(stack.cassandraLocalDc()).withAuthCredentials("token", stack.astraToken())
        .withKeyspace(stack.keyspace()).build();
  }

  /** The bridge's options for the stack's Cassandra, a table and a record schema (the token from its file). */
  static List<String> cassandraArgs(LocalStack stack, String table, Path schema) {
    return List.of("--cassandraContactPoints=" + stack.cassandraContactPoint().getHostString() + ":"
        + stack.cassandraContactPoint().getPort(), "--cassandraLocalDc=" + stack.cassandraLocalDc(),
        "--cassandraUsername=token", "--cassandraPassword=file:" + stack.astraTokenFile(),
        "--keyspace=" + stack.keyspace(), "--table=" + table, "--schema=" + schema);
  }

  static String tail(String output) {
    return output.length() > 4000 ? output.substring(output.length() - 4000) : output;
  }
}
