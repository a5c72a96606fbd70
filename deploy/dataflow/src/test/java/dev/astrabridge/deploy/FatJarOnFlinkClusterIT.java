package dev.astrabridge.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import dev.astrabridge.localstack.LocalStack;
import dev.astrabridge.localstack.LocalStackExtension;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fat jar submitted to a separate Flink 1.19 session cluster — a JobManager and a TaskManager in their own JVMs,
 * started from the same jar's Flink classes (Flink's distribution is not served here, so not its scripts) — with
 * {@code --flinkMaster=host:port}, the way {@code flink run} users and CI systems submit it: the job graph and the
 * jar travel to the cluster, the TaskManager runs the load against the local stack.
 */
@ExtendWith(LocalStackExtension.class)
class FatJarOnFlinkClusterIT {
  static final Path JAR = FatJarIT.JAR.toAbsolutePath();
  static Process jobManager;
  static Process taskManager;
  static int restPort;
  static Path dir;

  @BeforeAll
  static void startCluster() throws Exception {
    dir = Files.createTempDirectory("flink-cluster-it");
    restPort = freePort();
    String conf = String.join("\n",
        "jobmanager.rpc.address: localhost", "jobmanager.bind-host: localhost", "jobmanager.rpc.port: " + freePort(),
        "rest.address: localhost", "rest.bind-address: localhost", "rest.port: " + restPort,
        "blob.server.port: " + freePort(), "taskmanager.host: localhost", "taskmanager.bind-host: localhost",
        "taskmanager.rpc.port: " + freePort(), "taskmanager.numberOfTaskSlots: 2", "parallelism.default: 2",
        "jobmanager.memory.process.size: 700m",
        // what Flink's start scripts would compute for a TaskManager (they are not here): every memory pool explicit
        "taskmanager.cpu.cores: 2", "taskmanager.memory.framework.heap.size: 128m",
        "taskmanager.memory.task.heap.size: 640m", "taskmanager.memory.managed.size: 128m",
        "taskmanager.memory.framework.off-heap.size: 128m", "taskmanager.memory.task.off-heap.size: 0m",
        "taskmanager.memory.network.min: 192m", "taskmanager.memory.network.max: 192m",
        "taskmanager.memory.jvm-metaspace.size: 256m", "taskmanager.memory.jvm-overhead.min: 192m",
        "taskmanager.memory.jvm-overhead.max: 192m", "");
    Files.writeString(dir.resolve("flink-conf.yaml"), conf);
    jobManager = flink("org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint", "-Xmx512m", "jm");
    taskManager = flink("org.apache.flink.runtime.taskexecutor.TaskManagerRunner", "-Xmx800m", "tm");
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    String overview = "";
    while (System.nanoTime() < deadline && !overview.contains("\"taskmanagers\":1")) {
      Thread.sleep(1000);
      try {
        overview = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + restPort + "/overview")).build(),
            HttpResponse.BodyHandlers.ofString()).body();
      } catch (IOException notYet) {
        overview = "";
      }
    }
    assertThat(overview).as("cluster overview (logs in " + dir + ")").contains("\"taskmanagers\":1");
  }

  static Process flink(String mainClass, String heap, String name) throws IOException {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "@" + Path.of("../../bridge/flink-jvm.options").toAbsolutePath().normalize(), heap,
        "-XX:MaxDirectMemorySize=512m", "-cp", JAR.toString(), mainClass, "--configDir", dir.toString()));
    return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile())
        .start();
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @AfterAll
  static void stopCluster() throws InterruptedException {
    for (Process p : new Process[] {taskManager, jobManager}) {
      if (p != null) {
        p.destroy();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      }
    }
  }

  @Test
  void theFatJarRunsALoadOnTheCluster(LocalStack stack, @TempDir Path data) throws Exception {
    String table = "flink_cluster_smoke";
    try (CqlSession session = FatJarIT.session(stack)) {
      FatJarIT.prepare(session, table, data, 700);

      List<String> args = new ArrayList<>(List.of("--mode=load", "--runner=FlinkRunner",
          "--flinkMaster=localhost:" + restPort, "--filesToStage=" + JAR, "--parallelism=2",
          "--loadFrom=" + data.resolve("in.jsonl")));
      args.addAll(FatJarIT.cassandraArgs(stack, table, data.resolve("Row.avsc")));
      FatJarIT.Run run = FatJarIT.java(data, args.toArray(new String[0]));

      assertThat(run.exit()).as(FatJarIT.tail(run.output())).isZero();
      assertThat(run.output()).contains("[load] DONE").doesNotContain(stack.astraToken());
      assertThat(session.execute("SELECT count(*) FROM " + table).one().getLong(0)).isEqualTo(700);
      String jobs = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://localhost:" + restPort + "/jobs/overview")).build(), HttpResponse.BodyHandlers.ofString()).body();
      assertThat(jobs).as("the job ran on the cluster").contains("\"state\":\"FINISHED\"");
      System.out.println("Flink cluster: " + jobs);
    }
  }
}
