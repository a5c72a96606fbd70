package dev.astrabridge.bridge.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.pubsub.v1.PubsubMessage;
import dev.astrabridge.bridge.metrics.Scrape;
import dev.astrabridge.bridge.PubsubTestClient;
import dev.astrabridge.localstack.LocalStack;
import dev.astrabridge.localstack.LocalStackExtension;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.beam.sdk.PipelineResult;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The mirror job on the embedded Flink runner between the Pub/Sub emulator and the real broker, both directions of
 * one topic pair in one job (the loop-prone setup): every message crosses exactly once, with its payload, attributes /
 * properties, key and event time, per-key order kept, and none comes back.
 */
@ExtendWith(LocalStackExtension.class)
class MirrorIT {
  static final int N = Integer.getInteger("mirror.n", 10_000);
  static final int KEYS = 50;
  static final Instant BASE = Instant.parse("2026-11-26T00:00:00Z");

  @Test
  void bothDirectionsAtOnceEveryMessageCrossesOnceInOrderAndNeverComesBack(LocalStack stack) throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String pulsarTopic = stack.pulsarTopic("mirror", "pair-it-" + suffix);
    stack.createPartitionedTopic(pulsarTopic, 3);
    PipelineResult job = null;
    try (PubsubTestClient pubsub = new PubsubTestClient(stack); PulsarClient client = MirrorTestSupport.client(stack)) {
      String topic = pubsub.createTopic("pair-it-" + suffix, "pair-it-bridge-" + suffix, "pair-it-check-" + suffix);
      job = MirrorTestSupport.run(stack, "--bridgeId=it-bridge", "--pulsarSubscription=mirror-it",
          "--prometheusPort=" + Scrape.freePort(),
          "--mirrorRoutes=" + pubsub.subscription("pair-it-bridge-" + suffix) + "->" + pulsarTopic
              + "," + pulsarTopic + "->" + topic);

      // N messages published on each side, 50 keys, a sequence per key, event times 1 ms apart
      List<PubsubMessage> fromPubsub = new ArrayList<>();
      for (int i = 0; i < N; i++) {
        fromPubsub.add(PubsubMessage.newBuilder().setData(ByteString.copyFromUtf8("pubsub-payload-" + i))
            .setOrderingKey("k" + i % KEYS).putAttributes("seq", String.valueOf(i)).putAttributes("side", "pubsub")
            .putAttributes("event_time", BASE.plusMillis(i).toString()).build());
      }
      List<String> pubsubIds = pubsub.publishAll(topic, fromPubsub);
      try (Producer<byte[]> producer = client.newProducer().topic(pulsarTopic).enableBatching(true)
          .batchingMaxPublishDelay(1, java.util.concurrent.TimeUnit.MILLISECONDS).create()) {
        List<CompletableFuture<MessageId>> sends = new ArrayList<>();
        for (int i = 0; i < N; i++) {
          sends.add(producer.newMessage().key("p" + i % KEYS).property("seq", String.valueOf(i))
              .property("side", "pulsar").eventTime(BASE.plusMillis(i).toEpochMilli())
              .value(("pulsar-payload-" + i).getBytes(StandardCharsets.UTF_8)).sendAsync());
        }
        CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get();
      }

      // Pub/Sub side: its own N plus the N relayed from Pulsar, then nothing more (nothing came back)
      List<PubsubMessage> onPubsub = pubsub.pull(pubsub.subscription("pair-it-check-" + suffix), 2 * N, 300, 15);
      // Pulsar side: its own N plus the N relayed from Pub/Sub, then nothing more
      List<Message<byte[]>> onPulsar = MirrorTestSupport.drain(client, pulsarTopic, 2 * N, 300, 15);
      System.out.printf("mirror both ways: %d messages on the Pub/Sub topic, %d on the Pulsar topic (expected %d each)%n",
          onPubsub.size(), onPulsar.size(), 2 * N);

      // Pulsar → Pub/Sub: exactly once, payload, properties → attributes, key → ordering key, event time → attribute
      List<PubsubMessage> relayedToPubsub = onPubsub.stream().filter(m -> "pulsar".equals(m.getAttributesMap().get("side")))
          .collect(Collectors.toList());
      assertThat(relayedToPubsub).hasSize(N);
      Map<Integer, PubsubMessage> bySeq = relayedToPubsub.stream().collect(Collectors.toMap(
          m -> Integer.parseInt(m.getAttributesMap().get("seq")), Function.identity()));
      assertThat(bySeq).hasSize(N);
      for (int i = 0; i < N; i++) {
        PubsubMessage m = bySeq.get(i);
        assertThat(m.getData().toStringUtf8()).isEqualTo("pulsar-payload-" + i);
        assertThat(m.getOrderingKey()).isEqualTo("p" + i % KEYS);
        assertThat(m.getAttributesMap()).containsEntry("event_time", BASE.plusMillis(i).toString())
            .containsEntry(MirrorHeaders.PATH, "it-bridge").containsKey(MirrorHeaders.ORIGIN_ID)
            .hasEntrySatisfying(MirrorHeaders.ORIGIN, v -> assertThat(v).startsWith("pulsar:" + pulsarTopic + "-partition-"));
      }
      assertInOrderPerKey(relayedToPubsub.stream().map(m -> new String[] {m.getOrderingKey(),
          m.getAttributesMap().get("seq")}).collect(Collectors.toList()), "Pub/Sub (relayed from Pulsar)");
      assertThat(onPubsub.stream().filter(m -> "pubsub".equals(m.getAttributesMap().get("side"))))
          .as("Pub/Sub's own messages, none came back").hasSize(N)
          .allSatisfy(m -> assertThat(m.getAttributesMap()).doesNotContainKey(MirrorHeaders.PATH));

      // Pub/Sub → Pulsar: exactly once, attributes → properties, ordering key → key, event_time → event time
      List<Message<byte[]>> relayedToPulsar = onPulsar.stream().filter(m -> "pubsub".equals(m.getProperty("side")))
          .collect(Collectors.toList());
      String toPulsar = "route=\"" + pubsub.subscription("pair-it-bridge-" + suffix) + "->" + pulsarTopic + "\"";
      assertThat(relayedToPulsar).as("relayed Pub/Sub → Pulsar; the route's meters: received %s, loop-skipped %s,"
              + " released by maxWait %s, published %s", Scrape.value("mirror_received_total", toPulsar),
          Scrape.value("mirror_loop_skipped_total", toPulsar), Scrape.value("mirror_order_overdue_total", toPulsar),
          Scrape.value("mirror_published_total", toPulsar)).hasSize(N);
      Map<Integer, Message<byte[]>> pulsarBySeq = new HashMap<>();
      relayedToPulsar.forEach(m -> pulsarBySeq.put(Integer.parseInt(m.getProperty("seq")), m));
      assertThat(pulsarBySeq).hasSize(N);
      for (int i = 0; i < N; i++) {
        Message<byte[]> m = pulsarBySeq.get(i);
        assertThat(new String(m.getValue(), StandardCharsets.UTF_8)).isEqualTo("pubsub-payload-" + i);
        assertThat(m.getKey()).isEqualTo("k" + i % KEYS);
        assertThat(m.getEventTime()).isEqualTo(BASE.plusMillis(i).toEpochMilli());
        assertThat(m.getProperties()).containsEntry(MirrorHeaders.PATH, "it-bridge")
            .containsEntry(MirrorHeaders.ORIGIN_ID, pubsubIds.get(i))
            .containsEntry(MirrorHeaders.ORIGIN, "pubsub:" + pubsub.subscription("pair-it-bridge-" + suffix));
      }
      assertInOrderPerKey(relayedToPulsar.stream().map(m -> new String[] {m.getKey(), m.getProperty("seq")})
          .collect(Collectors.toList()), "Pulsar (relayed from Pub/Sub)");
      assertThat(onPulsar.stream().filter(m -> "pulsar".equals(m.getProperty("side"))))
          .as("Pulsar's own messages, none came back").hasSize(N)
          .allSatisfy(m -> assertThat(m.getProperties()).doesNotContainKey(MirrorHeaders.PATH));

      // the metrics per route and direction, through the job's Prometheus endpoint: each side received its own N
      // (relayed) and the N relayed from the other side (stopped by the loop guard)
      String toPubsub = "route=\"" + pulsarTopic + "->" + topic + "\"";
      for (String route : List.of(toPulsar, toPubsub)) {
        // the messages that came back to each source are skipped as the job reads them, which at 10k each way can
        // still be going on once the targets are complete: wait (2 minutes at most) for the count to stop short
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (Scrape.value("mirror_received_total", route) < 2 * N && System.nanoTime() < deadline) {
          Thread.sleep(500);
        }
        assertThat(Scrape.value("mirror_received_total", route)).as(route).isEqualTo(2 * N);
        assertThat(Scrape.value("mirror_loop_skipped_total", route)).as(route).isEqualTo(N);
        assertThat(Scrape.value("mirror_published_total", route)).as(route).isEqualTo(N);
        assertThat(Scrape.value("mirror_dead_lettered_total", route)).as(route).isZero();
        assertThat(Scrape.value("mirror_relay_latency_seconds_count", route)).as(route).isEqualTo(N);
      }
      assertThat(Scrape.value("mirror_published_total", "direction=\"pubsub-to-pulsar\"", toPulsar)).isEqualTo(N);
    } finally {
      if (job != null) {
        job.cancel();
      }
    }
  }

  /**
   * A burst of keyed messages on a subscription that then stays quiet: with 8 Pub/Sub readers (2 workers × 4) some get
   * none. Beam's reader alone holds the watermark at the beginning of time for good in such a reader (measured: 0 of
   * 300 relayed in 2 minutes when only the watermark could release them); with {@code --pubsubIdleTimeout} the
   * watermark moves on, so the messages arrive, in per-key order, released by the watermark — the order step's
   * maxWait is set out of reach (10 minutes) and nothing may be counted as released by it.
   */
  @Test
  void aBurstOnAQuietSubscriptionArrivesWithoutTheWatermark(LocalStack stack) throws Exception {
    int n = 300;
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    String pulsarTopic = stack.pulsarTopic("mirror", "quiet-it-" + suffix);
    stack.createPartitionedTopic(pulsarTopic, 2);
    PipelineResult job = null;
    try (PubsubTestClient pubsub = new PubsubTestClient(stack); PulsarClient client = MirrorTestSupport.client(stack)) {
      String topic = pubsub.createTopic("quiet-it-" + suffix, "quiet-it-bridge-" + suffix);
      List<PubsubMessage> burst = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        burst.add(PubsubMessage.newBuilder().setData(ByteString.copyFromUtf8("quiet-" + i)).setOrderingKey("q" + i % 5)
            .putAttributes("seq", String.valueOf(i)).build());
      }
      pubsub.publishAll(topic, burst);
      String route = pubsub.subscription("quiet-it-bridge-" + suffix) + "->" + pulsarTopic;
      job = MirrorTestSupport.run(stack, "--bridgeId=quiet-it", "--pulsarSubscription=quiet-it",
          "--prometheusPort=" + Scrape.freePort(), "--mirrorOrderMaxWait=10m", "--pubsubIdleTimeout=5s", "--mirrorRoutes=" + route);
      List<Message<byte[]>> relayed = MirrorTestSupport.drain(client, pulsarTopic, n, 120, 5);
      String meters = "route=\"" + route + "\"";
      assertThat(relayed).as("relayed within 2 minutes; released by maxWait: %s, received: %s",
          Scrape.value("mirror_order_overdue_total", meters), Scrape.value("mirror_received_total", meters)).hasSize(n);
      assertThat(Scrape.value("mirror_order_overdue_total", meters)).as("released by maxWait").isZero();
      assertInOrderPerKey(relayed.stream().map(m -> new String[] {m.getKey(), m.getProperty("seq")})
          .collect(Collectors.toList()), "Pulsar (a burst relayed from Pub/Sub)");
    } finally {
      if (job != null) {
        job.cancel();
      }
    }
  }

  /** Each key's sequence numbers appear in increasing order. */
  static void assertInOrderPerKey(List<String[]> keyAndSeq, String where) {
    Map<String, Integer> last = new HashMap<>();
    int outOfOrder = 0;
    for (String[] ks : keyAndSeq) {
      int seq = Integer.parseInt(ks[1]);
      Integer previous = last.put(ks[0], seq);
      if (previous != null && previous > seq) {
        outOfOrder++;
      }
    }
    assertThat(outOfOrder).as("messages out of per-key order on " + where).isZero();
  }
}
