package dev.astrabridge.bridge.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.pubsub.v1.PubsubMessage;
import dev.astrabridge.bridge.BridgeMain;
import dev.astrabridge.bridge.PubsubTestClient;
import dev.astrabridge.bridge.metrics.Scrape;
import dev.astrabridge.localstack.LocalStack;
import dev.astrabridge.localstack.LocalStackExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The Pub/Sub → Pulsar mirror killed with SIGKILL mid-stream (its own JVM on the embedded Flink runner, externalized
 * checkpoints on disk) and started again from its last completed checkpoint, the way a self-hosted Flink job
 * recovers: every message arrives in Pulsar exactly once (broker deduplication on the mirror namespace drops the
 * replayed sends, whose sequence ids were restored with the state).
 */
@ExtendWith(LocalStackExtension.class)
class MirrorRestartIT {
  static final int N = 3000;

  @Test
  void killedWithSigkillAndRestoredFromItsCheckpointLosesNothingAndDuplicatesNothing(LocalStack stack) throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String pulsarTopic = stack.pulsarTopic("mirror", "restart-it-" + suffix);
    stack.createPartitionedTopic(pulsarTopic, 2);
    Path checkpoints = Files.createTempDirectory("mirror-restart-checkpoints");
    Path logs = Path.of("target", "mirror-restart-it");
    Files.createDirectories(logs);
    try (PubsubTestClient pubsub = new PubsubTestClient(stack); PulsarClient client = MirrorTestSupport.client(stack)) {
      String topic = pubsub.createTopic("restart-it-" + suffix, 10, "restart-it-bridge-" + suffix);
      List<String> args = MirrorTestSupport.args(stack, "--bridgeId=restart-it", "--mirrorShards=3",
          "--mirrorRoutes=" + pubsub.subscription("restart-it-bridge-" + suffix) + "->" + pulsarTopic,
          "--stateBackend=filesystem", "--stateBackendStoragePath=" + checkpoints.toUri(),
          "--externalizedCheckpointsEnabled=true", "--retainExternalizedCheckpointsOnCancellation=true");
      args.remove("--attachedMode=false");

      Process first = start(args, logs.resolve("first.log"));
      java.util.concurrent.atomic.AtomicInteger published = new java.util.concurrent.atomic.AtomicInteger();
      Thread publisher = new Thread(() -> {
        try {
          for (int batch = 0; batch < N / 100; batch++) {
            List<PubsubMessage> messages = new ArrayList<>();
            for (int i = batch * 100; i < (batch + 1) * 100; i++) {
              // half with an ordering key (they wait in the job's state to be put in order), half without
              PubsubMessage.Builder m = PubsubMessage.newBuilder().setData(ByteString.copyFromUtf8("payload-" + i))
                  .putAttributes("seq", String.valueOf(i));
              messages.add(i % 2 == 0 ? m.setOrderingKey("key-" + (i % 10)).build() : m.build());
            }
            pubsub.publishAll(topic, messages);
            published.addAndGet(messages.size());
            Thread.sleep(300); // about 300 messages per second
          }
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      Process second = null;
      long killTime = 0;
      try {
        publisher.start();
        // kill mid-stream: a third published, a checkpoint completed and some messages already sent to Pulsar (so the
        // restored job replays sends the broker must drop), while others wait in the job's state
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        try (Consumer<byte[]> watch = client.newConsumer().topic(pulsarTopic).subscriptionName("watch")
            .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe()) {
          int sent = 0;
          while (System.nanoTime() < deadline
              && (published.get() < N / 3 || sent == 0 || latestCheckpoint(checkpoints).isEmpty())) {
            if (watch.receive(100, TimeUnit.MILLISECONDS) != null) {
              sent++;
            }
          }
          first.destroyForcibly().waitFor();
          killTime = System.currentTimeMillis();
          System.out.printf("mirror restart: SIGKILL after %d published and %d+ sent%n", published.get(), sent);
        }
        int atKill = MirrorTestSupport.drain(client, pulsarTopic, 0, 10, 2).size();
        Path checkpoint = latestCheckpoint(checkpoints).orElseThrow(() -> new AssertionError("no completed checkpoint"));
        List<String> resume = new ArrayList<>(args);
        resume.add("--savepointPath=" + checkpoint.toUri());
        int metricsPort = Scrape.freePort();
        resume.add("--prometheusPort=" + metricsPort);
        second = start(resume, logs.resolve("second.log"));
        long restartTime = System.currentTimeMillis();
        publisher.join();

        List<Message<byte[]>> inPulsar = MirrorTestSupport.drain(client, pulsarTopic, N, 240, 20);
        Map<String, Long> copies = inPulsar.stream().collect(Collectors.groupingBy(m -> m.getProperty("seq"),
            Collectors.counting()));
        System.out.printf("mirror restart: %d in Pulsar at the SIGKILL, restored from %s; after: %d messages, %d distinct"
            + " (expected %d), missing %s%n", atKill, checkpoint.getFileName(), inPulsar.size(), copies.size(), N,
            missing(copies.keySet()));
        long killedAt = killTime;
        inPulsar.stream().collect(Collectors.groupingBy(m -> m.getProducerName() + (m.getPublishTime() < killedAt
            ? " first" : " second"), java.util.TreeMap::new, Collectors.summarizingLong(Message::getSequenceId)))
            .forEach((k, v) -> System.out.printf("mirror restart: producer %s job: %d messages, sequence ids %d..%d%n", k, v.getCount(), v.getMin(), v.getMax()));
        // when the second job sent what it sent, in 15 s steps from its start (a restore that waits shows here)
        System.out.printf("mirror restart: second job sent by second %s%n", inPulsar.stream()
            .filter(m -> m.getPublishTime() >= restartTime)
            .collect(Collectors.groupingBy(m -> (m.getPublishTime() - restartTime) / 15_000 * 15, java.util.TreeMap::new,
                Collectors.counting())));
        if (copies.size() != N) { // what the restored job counted: received, released by the bound, sent, dead letters
          System.out.printf("mirror restart: the second job's meters:%n%s%n", mirrorMeters(metricsPort));
        }
        assertThat(atKill).isGreaterThan(0).isLessThan(N);
        assertThat(copies).as("distinct messages in Pulsar; missing: %s", missing(copies.keySet())).hasSize(N);
        assertThat(copies.values()).as("copies per message").allMatch(c -> c == 1);
        assertThat(inPulsar.stream().collect(Collectors.toMap(m -> m.getProperty("seq"), Function.identity())).keySet())
            .containsAll(Stream.iterate(0, i -> i + 1).limit(N).map(String::valueOf).collect(Collectors.toList()));
      } finally {
        first.destroyForcibly();
        if (second != null) {
          second.destroyForcibly().waitFor();
        }
      }
    }
  }

  private static String mirrorMeters(int port) {
    try {
      return Scrape.text(port).lines().filter(l -> l.startsWith("mirror_") || l.startsWith("dead_letter"))
          .collect(Collectors.joining("\n"));
    } catch (IOException | InterruptedException e) {
      return "(no metrics: " + e + ")";
    }
  }

  /** The missing sequence numbers as ranges, e.g. "[100-199, 420]". */
  private static String missing(java.util.Set<String> seen) {
    List<String> ranges = new ArrayList<>();
    int from = -1;
    for (int i = 0; i <= N; i++) {
      boolean gone = i < N && !seen.contains(String.valueOf(i));
      if (gone && from < 0) {
        from = i;
      } else if (!gone && from >= 0) {
        ranges.add(from == i - 1 ? String.valueOf(from) : from + "-" + (i - 1));
        from = -1;
      }
    }
    return ranges.toString();
  }

  private static Process start(List<String> args, Path log) throws IOException {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "@" + Path.of("flink-jvm.options").toAbsolutePath(), "-Xmx1g",
        "-cp", System.getProperty("java.class.path"), BridgeMain.class.getName()));
    command.addAll(args);
    return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  /** The newest chk-N directory that holds a completed checkpoint's _metadata. */
  static Optional<Path> latestCheckpoint(Path root) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      return files.filter(p -> p.getFileName().toString().equals("_metadata")).map(Path::getParent)
          .filter(p -> p.getFileName().toString().startsWith("chk-"))
          .max(Comparator.comparingInt(p -> Integer.parseInt(p.getFileName().toString().substring(4))));
    }
  }
}
