package dev.astrabridge.bridge.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.pubsub.v1.PubsubMessage;
import dev.astrabridge.bridge.PubsubTestClient;
import dev.astrabridge.localstack.LocalStack;
import dev.astrabridge.localstack.LocalStackExtension;
import dev.astrabridge.schemas.envelope.DeadLetter;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.beam.sdk.PipelineResult;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Through the running mirror (embedded Flink, both directions): a message the other side cannot carry goes to the
 * dead-letter topic with the reason and its original bytes, while the rest flows — a 6 MiB Pub/Sub message (Pulsar
 * here takes at most 5 MiB) and a Pulsar message with 101 properties (Pub/Sub takes at most 100 attributes). The
 * second cannot be a Pub/Sub message with its own attributes either, so it is dead-lettered as an Avro DeadLetter
 * record.
 */
@ExtendWith(LocalStackExtension.class)
class MirrorDeadLetterIT {

  @Test
  void whatTheOtherSideCannotCarryIsDeadLetteredWithItsReasonWhileTheRestFlows(LocalStack stack) throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String toPulsar = MirrorTestSupport.partitionedTopic(stack, "dl-to-" + suffix, 1);
    String fromPulsar = MirrorTestSupport.partitionedTopic(stack, "dl-from-" + suffix, 1);
    PipelineResult job = null;
    try (PubsubTestClient pubsub = new PubsubTestClient(stack); PulsarClient client = MirrorTestSupport.client(stack)) {
      String in = pubsub.createTopic("dl-in-" + suffix, "dl-in-bridge-" + suffix);
      String out = pubsub.createTopic("dl-out-" + suffix, "dl-out-check-" + suffix);
      String dead = pubsub.createTopic("dl-" + suffix, "dl-check-" + suffix);
      job = MirrorTestSupport.run(stack, "--bridgeId=dl-it", "--pulsarSubscription=dl-it",
          "--mirrorRoutes=" + pubsub.subscription("dl-in-bridge-" + suffix) + "->" + toPulsar + "," + fromPulsar
              + "->" + out, "--deadLetter=pubsub:" + dead);

      byte[] big = new byte[6 * 1024 * 1024];
      big[0] = 42;
      pubsub.publishAll(in, List.of(
          PubsubMessage.newBuilder().setData(ByteString.copyFromUtf8("small from pubsub")).putAttributes("n", "1").build(),
          PubsubMessage.newBuilder().setData(ByteString.copyFrom(big)).putAttributes("n", "2").build()));
      Map<String, String> many = new HashMap<>();
      for (int i = 0; i < 101; i++) {
        many.put("p" + i, "v" + i);
      }
      try (Producer<byte[]> producer = client.newProducer().topic(fromPulsar).create()) {
        producer.newMessage().property("n", "3").value("small from pulsar".getBytes(StandardCharsets.UTF_8)).send();
        producer.newMessage().properties(many).value("many properties".getBytes(StandardCharsets.UTF_8)).send();
      }

      List<Message<byte[]>> onPulsar = MirrorTestSupport.drain(client, toPulsar, 1, 180, 5);
      List<PubsubMessage> onPubsub = pubsub.pull(pubsub.subscription("dl-out-check-" + suffix), 1, 180, 5);
      List<PubsubMessage> deadLetters = pubsub.pull(pubsub.subscription("dl-check-" + suffix), 2, 180, 10);
      System.out.printf("mirror dead letters: %d relayed to Pulsar, %d to Pub/Sub, %d dead letters %s%n", onPulsar.size(),
          onPubsub.size(), deadLetters.size(), deadLetters.stream().map(m -> m.getAttributesMap().get("dl.error")).toList());

      assertThat(onPulsar).extracting(m -> new String(m.getValue(), StandardCharsets.UTF_8)).containsExactly("small from pubsub");
      assertThat(onPubsub).extracting(m -> m.getData().toStringUtf8()).containsExactly("small from pulsar");
      assertThat(deadLetters).hasSize(2);

      PubsubMessage tooBig = deadLetters.stream().filter(m -> "2".equals(m.getAttributesMap().get("n"))).findFirst()
          .orElseThrow(() -> new AssertionError("no dead letter for the 6 MiB message"));
      assertThat(tooBig.getData().toByteArray()).as("original bytes").isEqualTo(big);
      assertThat(tooBig.getAttributesMap().get("dl.error")).contains("larger than the broker accepts");
      assertThat(tooBig.getAttributesMap()).containsEntry("dl.target", toPulsar);

      PubsubMessage tooMany = deadLetters.stream().filter(m -> m.getAttributesMap().containsKey("dl.encoding"))
          .findFirst().orElseThrow(() -> new AssertionError("no dead letter for the 101-property message"));
      // 101 properties + the bridge's own headers (path, origin, origin id)
      assertThat(tooMany.getAttributesMap().get("dl.error")).contains("104 attributes, Pub/Sub accepts at most 100");
      DeadLetter record = DeadLetter.fromByteBuffer(tooMany.getData().asReadOnlyByteBuffer());
      assertThat(StandardCharsets.UTF_8.decode(record.getMessage().getPayload()).toString()).isEqualTo("many properties");
      assertThat(record.getMessage().getAttributes()).containsAllEntriesOf(many);
      assertThat(record.getError()).contains("Pub/Sub accepts at most 100");
    } finally {
      if (job != null) {
        job.cancel();
      }
    }
  }
}
