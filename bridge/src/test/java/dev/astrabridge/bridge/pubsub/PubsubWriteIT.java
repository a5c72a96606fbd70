package dev.astrabridge.bridge.pubsub;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.pubsub.v1.PubsubMessage;
import dev.astrabridge.bridge.PubsubTestClient;
import dev.astrabridge.bridge.pulsar.PulsarTestSupport;
import dev.astrabridge.localstack.LocalStack;
import dev.astrabridge.localstack.LocalStackExtension;
import dev.astrabridge.schemas.envelope.BridgeMessage;
import dev.astrabridge.schemas.envelope.DeadLetter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * PubsubWrite against the emulator: a bundle far bigger than what it keeps unsettled, with failures among it. Without
 * ordering keys: with them, a topic that fails every publish pauses and resumes keys all along, and the client's
 * ordered publisher then sometimes never completes a future (googleapis/java-pubsub#2377, google-cloud-java#14001;
 * the write fails its bundle after 120 s for the runner to retry) — that client bug is not what this test is about.
 */
@ExtendWith(LocalStackExtension.class)
class PubsubWriteIT {

  @Test
  void aBigBundleIsSettledAsItGoesAndItsFailuresAreDeadLettered(LocalStack stack) throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    try (PubsubTestClient pubsub = new PubsubTestClient(stack)) {
      String topic = pubsub.createTopic("write-it-" + suffix, "write-it-check-" + suffix);
      String missing = pubsub.topic("write-it-missing-" + suffix); // never created: NOT_FOUND, not retried
      // 400 messages in ONE bundle (the list travels as one element), every 4th to the missing topic
      List<BridgeMessage> input = new ArrayList<>();
      for (int i = 0; i < 400; i++) {
        input.add(BridgeMessage.newBuilder().setPayload(ByteBuffer.wrap(("m-" + i).getBytes(StandardCharsets.UTF_8)))
            .setKey("k" + i % 5).setOrderingKey(null)
            .setAttributes(Map.of("seq", Integer.toString(i), "to", i % 4 == 3 ? missing : topic))
            .setMessageId("src-" + i).setEventTime(null).setPublishTime(null).setSource("test").build());
      }
      Pipeline pipeline = PulsarTestSupport.batchPipeline();
      // at most 5 unsettled: the bundle waits for its oldest publishes every few messages
      PCollection<DeadLetter> dead = pipeline.apply(Create.of(List.<List<BridgeMessage>>of(input))
              .withCoder(ListCoder.of(AvroCoder.of(BridgeMessage.class))))
          .apply(Flatten.iterables()).setCoder(AvroCoder.of(BridgeMessage.class))
          .apply(PubsubWrite.toDynamic(m -> m.getAttributes().get("to"), "the message's 'to' attribute")
              .withConnection(PubsubConnection.fromRootUrl(pubsub.rootUrl())).withOrdering(false)
              .withMaxUnsettled(5));
      PulsarTestSupport.collect(dead, "pubsub-write-dead");
      pipeline.run().waitUntilFinish();

      List<DeadLetter> deadLetters = PulsarTestSupport.collected("pubsub-write-dead");
      assertThat(deadLetters).hasSize(100).allSatisfy(d -> {
        assertThat(d.getTarget()).isEqualTo(missing);
        assertThat(d.getError()).startsWith("publish to " + missing + " failed after 1 attempt(s)")
            .contains("NOT_FOUND"); // not retried: the topic does not exist
        assertThat(Integer.parseInt(d.getMessage().getAttributes().get("seq")) % 4).isEqualTo(3);
      });
      List<PubsubMessage> received = pubsub.pull(pubsub.subscription("write-it-check-" + suffix), 300, 60, 3);
      assertThat(received).hasSize(300).allSatisfy(m -> {
        int seq = Integer.parseInt(m.getAttributesMap().get("seq"));
        assertThat(seq % 4).isNotEqualTo(3);
        assertThat(m.getData().toStringUtf8()).isEqualTo("m-" + seq);
      });
      assertThat(received).extracting(m -> m.getAttributesMap().get("seq")).doesNotHaveDuplicates();
    }
  }
}
