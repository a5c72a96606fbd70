package dev.astrabridge.bridge.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import com.google.pubsub.v1.PubsubMessage;
import dev.astrabridge.bridge.BridgeMain;
import dev.astrabridge.bridge.PubsubTestClient;
import dev.astrabridge.bridge.options.BridgeOptions;
import dev.astrabridge.localstack.LocalStack;
import dev.astrabridge.localstack.LocalStackExtension;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * On the Flink runner, sources acknowledge only when a checkpoint completes (Beam's CheckpointMark finalization). The
 * same mirror job, reading a Pulsar topic and a Pub/Sub subscription, with checkpointing and without: both relay every
 * message, but only the checkpointing job acknowledges them — without it the Pulsar subscription's backlog stays
 * full and Pub/Sub redelivers everything once the job is gone. This is why BridgeMain never runs Flink without
 * checkpoints (10 s unless --checkpointingInterval says otherwise), and the README jobs keep that default or set it.
 */
@ExtendWith(LocalStackExtension.class)
class CheckpointingIsWhatAcknowledgesIT {
  static final int N = 20;

  @ParameterizedTest(name = "checkpointing every 2 s: {0}")
  @ValueSource(booleans = {true, false})
  void onlyACompletedCheckpointAcknowledges(boolean checkpointing, LocalStack stack) throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String pulsarSource = MirrorTestSupport.partitionedTopic(stack, "ack-src-" + suffix, 1);
    String pulsarTarget = MirrorTestSupport.partitionedTopic(stack, "ack-dst-" + suffix, 1);
    PipelineResult job = null;
    try (PubsubTestClient pubsub = new PubsubTestClient(stack); PulsarClient client = MirrorTestSupport.client(stack)) {
      String in = pubsub.createTopic("ack-in-" + suffix, 10, "ack-bridge-" + suffix);
      String out = pubsub.createTopic("ack-out-" + suffix);
      pubsub.addSubscription(out, "ack-check-" + suffix, 60, false);
      BridgeOptions options = MirrorTestSupport.options(stack, "--bridgeId=ack-it", "--pulsarSubscription=ack-it",
          "--mirrorEffectivelyOnce=false", "--mirrorRoutes=" + pubsub.subscription("ack-bridge-" + suffix) + "->"
              + pulsarTarget + "," + pulsarSource + "->" + out);
      Pipeline pipeline = BridgeMain.build(options);
      assertThat(options.as(FlinkPipelineOptions.class).getCheckpointingInterval()).isEqualTo(2000L);
      if (!checkpointing) {
        options.as(FlinkPipelineOptions.class).setCheckpointingInterval(-1L); // what BridgeMain never lets happen
      }
      long t0 = System.nanoTime();
      job = pipeline.run();

      List<PubsubMessage> messages = new ArrayList<>();
      for (int i = 0; i < N; i++) {
        messages.add(PubsubMessage.newBuilder().setData(ByteString.copyFromUtf8("m" + i)).setOrderingKey("k" + i % 3).build());
      }
      pubsub.publishAll(in, messages);
      try (Producer<byte[]> producer = client.newProducer().topic(pulsarSource).create()) {
        for (int i = 0; i < N; i++) {
          producer.newMessage().key("k" + i % 3).value(("p" + i).getBytes(StandardCharsets.UTF_8)).send();
        }
      }

      // both jobs relay everything (shown on the Pulsar → Pub/Sub route; the other route holds messages in its
      // "Order" state until the watermark passes them, which is no reason not to acknowledge them)...
      assertThat(pubsub.pull(pubsub.subscription("ack-check-" + suffix), N, 120, 3)).hasSize(N);
      System.out.printf("checkpointing=%s: relayed after %d s%n", checkpointing, (System.nanoTime() - t0) / 1_000_000_000L);
      Thread.sleep(8000); // several checkpoint intervals

      // ...but only a completed checkpoint acknowledges: the Pulsar subscription's backlog
      long backlog = new ObjectMapper().readTree(stack.pulsarTopicStats(pulsarSource + "-partition-0"))
          .path("subscriptions").path("ack-it").path("msgBacklog").asLong(-1);
      System.out.printf("checkpointing=%s: Pulsar backlog %d of %d relayed%n", checkpointing, backlog, N);
      assertThat(backlog).isEqualTo(checkpointing ? 0 : N);

      // and Pub/Sub: once the job is gone, what it did not acknowledge is delivered again (ack deadline 10 s)
      job.cancel();
      job = null;
      List<PubsubMessage> again = pubsub.pull(pubsub.subscription("ack-bridge-" + suffix), N, checkpointing ? 30 : 120, 5);
      System.out.printf("checkpointing=%s: Pub/Sub redelivered %d of %d relayed (at %d s)%n", checkpointing, again.size(), N,
          (System.nanoTime() - t0) / 1_000_000_000L);
      assertThat(again).hasSize(checkpointing ? 0 : N);
    } finally {
      if (job != null) {
        job.cancel();
      }
    }
  }
}
