package dev.astrabridge.bridge.pulsar;

import static org.assertj.core.api.Assertions.assertThat;

import dev.astrabridge.localstack.LocalStack;
import dev.astrabridge.localstack.LocalStackExtension;
import dev.astrabridge.schemas.envelope.BridgeMessage;
import dev.astrabridge.schemas.envelope.DeadLetter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** AstraStreamingIO.write() against the real broker (JWT + TLS; broker deduplication on in namespace ingest). */
@ExtendWith(LocalStackExtension.class)
class AstraStreamingWriteIT {

  private static BridgeMessage envelope(int i) {
    return BridgeMessage.newBuilder().setPayload(ByteBuffer.wrap(("payload-" + i).getBytes(StandardCharsets.UTF_8)))
        .setKey("key-" + (i % 7)).setOrderingKey("ok-" + (i % 3))
        .setAttributes(Map.of("origin", "test", "n", Integer.toString(i)))
        .setMessageId("src-" + i).setEventTime(Instant.ofEpochMilli(1_790_000_000_000L + i))
        .setPublishTime(null).setSource("test").build();
  }

  private static List<Message<byte[]>> drain(PulsarClient client, String topic, int quietMillis) throws Exception {
    List<Message<byte[]>> out = new ArrayList<>();
    try (Consumer<byte[]> consumer = client.newConsumer().topic(topic).subscriptionName("verify-" + System.nanoTime())
        .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe()) {
      Message<byte[]> m;
      while ((m = consumer.receive(quietMillis, TimeUnit.MILLISECONDS)) != null) {
        out.add(m);
        consumer.acknowledge(m);
      }
    }
    return out;
  }

  @Test
  void keyedWritesWithPropertiesAndEventTimeRoundTrip(LocalStack stack) throws Exception {
    String topic = PulsarTestSupport.topic(stack, "mirror", "write");
    List<BridgeMessage> input = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      input.add(envelope(i));
    }
    Pipeline pipeline = PulsarTestSupport.batchPipeline();
    PCollection<DeadLetter> dead = pipeline.apply(Create.of(input).withCoder(AvroCoder.of(BridgeMessage.class)))
        .apply(AstraStreamingIO.write().withConnection(PulsarTestSupport.connection(stack)).withTopic(topic));
    PulsarTestSupport.collect(dead, "write-dead");
    pipeline.run().waitUntilFinish();

    assertThat(PulsarTestSupport.<DeadLetter>collected("write-dead")).isEmpty();
    try (PulsarClient client = PulsarTestSupport.client(stack)) {
      List<Message<byte[]>> written = drain(client, topic, 2000);
      assertThat(written).hasSize(200);
      for (Message<byte[]> m : written) {
        int i = Integer.parseInt(m.getProperty("n"));
        assertThat(new String(m.getValue(), StandardCharsets.UTF_8)).isEqualTo("payload-" + i);
        assertThat(m.getKey()).isEqualTo("key-" + (i % 7));
        assertThat(new String(m.getOrderingKey(), StandardCharsets.UTF_8)).isEqualTo("ok-" + (i % 3));
        assertThat(m.getProperties()).containsEntry("origin", "test");
        assertThat(m.getEventTime()).isEqualTo(1_790_000_000_000L + i);
      }
    }
  }

  @Test
  void withBrokerDeduplicationReplayingTheSameInputWritesNoDuplicates(LocalStack stack) throws Exception {
    // given 300 messages on a source topic, read with their real positions
    String source = PulsarTestSupport.topic(stack, "ingest", "dedup-src");
    String target = PulsarTestSupport.topic(stack, "ingest", "dedup-dst");
    List<BridgeMessage> sourceMessages = new ArrayList<>();
    try (PulsarClient client = PulsarTestSupport.client(stack)) {
      try (Producer<byte[]> producer = client.newProducer().topic(source).batchingMaxPublishDelay(1, TimeUnit.MILLISECONDS).create()) {
        for (int i = 0; i < 300; i++) {
          producer.newMessage().key("k" + i).value(("v" + i).getBytes(StandardCharsets.UTF_8)).sendAsync();
        }
        producer.flush();
      }
      for (Message<byte[]> m : drain(client, source, 1500)) {
        sourceMessages.add(AstraStreamingIO.toBridgeMessage(PulsarUnboundedReader.toPulsarMessage(m)));
      }
    }
    assertThat(sourceMessages).hasSize(300);

    // when the first 200 are written, then all 300 (a replay after a crash), then all 300 again — each in source
    // order, as a fused read -> write keeps it (the list travels as ONE element, so it is one ordered bundle: the
    // DirectRunner processes the bundles of a split Create in any order)
    for (List<BridgeMessage> run : List.of(sourceMessages.subList(0, 200), sourceMessages, sourceMessages)) {
      Pipeline pipeline = PulsarTestSupport.batchPipeline();
      pipeline.apply(Create.of(List.<List<BridgeMessage>>of(new ArrayList<>(run)))
              .withCoder(org.apache.beam.sdk.coders.ListCoder.of(AvroCoder.of(BridgeMessage.class))))
          .apply(org.apache.beam.sdk.transforms.Flatten.iterables()).setCoder(AvroCoder.of(BridgeMessage.class))
          .apply(AstraStreamingIO.write().withConnection(PulsarTestSupport.connection(stack)).withTopic(target)
              .withEffectivelyOnce("dedup-it"));
      pipeline.run().waitUntilFinish();
    }

    // then the target holds each message exactly once
    try (PulsarClient client = PulsarTestSupport.client(stack)) {
      List<Message<byte[]>> written = drain(client, target, 2000);
      assertThat(written).extracting(m -> new String(m.getValue(), StandardCharsets.UTF_8))
          .hasSize(300).doesNotHaveDuplicates();
    }
  }

  @Test
  void aMessageOverTheBrokerLimitIsDeadLetteredAndTheRestIsWritten(LocalStack stack) throws Exception {
    String topic = PulsarTestSupport.topic(stack, "mirror", "oversize");
    List<BridgeMessage> input = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      input.add(envelope(i));
    }
    input.get(10).setPayload(ByteBuffer.wrap(new byte[6 * 1024 * 1024])); // the broker's maxMessageSize is 5 MiB
    Pipeline pipeline = PulsarTestSupport.batchPipeline();
    // one bundle of 50 (the list travels as one element) with at most 2 sends in flight: the write settles its older
    // sends while the bundle runs (as it must for a bundle that is a whole partition), the failed one among them
    PCollection<DeadLetter> dead = pipeline.apply(Create.of(List.<List<BridgeMessage>>of(input))
            .withCoder(org.apache.beam.sdk.coders.ListCoder.of(AvroCoder.of(BridgeMessage.class))))
        .apply(org.apache.beam.sdk.transforms.Flatten.iterables()).setCoder(AvroCoder.of(BridgeMessage.class))
        .apply(AstraStreamingIO.write().withConnection(PulsarTestSupport.connection(stack)).withTopic(topic)
            .withMaxPendingMessages(2));
    PulsarTestSupport.collect(dead, "oversize");
    pipeline.run().waitUntilFinish();

    assertThat(PulsarTestSupport.<DeadLetter>collected("oversize")).singleElement().satisfies(d -> {
      assertThat(d.getStage()).isEqualTo("relay");
      assertThat(d.getError()).contains("larger than the broker accepts");
      assertThat(d.getMessage().getPayload().remaining()).isEqualTo(6 * 1024 * 1024);
      assertThat(d.getMessage().getMessageId()).isEqualTo("src-10");
      assertThat(d.getTarget()).isEqualTo(topic);
    });
    try (PulsarClient client = PulsarTestSupport.client(stack)) {
      assertThat(drain(client, topic, 2000)).extracting(m -> m.getProperty("n")).hasSize(49).doesNotContain("10");
    }
  }
}
