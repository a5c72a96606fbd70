package dev.astrabridge.bridge.ingest;

import static dev.astrabridge.bridge.ingest.IngestTestSupport.await;
import static dev.astrabridge.bridge.ingest.IngestTestSupport.bytes;
import static dev.astrabridge.bridge.ingest.IngestTestSupport.order;
import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import dev.astrabridge.bridge.BridgeMain;
import dev.astrabridge.bridge.pulsar.AstraStreamingIO;
import dev.astrabridge.localstack.LocalStack;
import dev.astrabridge.localstack.LocalStackExtension;
import dev.astrabridge.schemas.events.OrderStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.beam.sdk.PipelineResult;
import org.apache.pulsar.client.api.AuthenticationFactory;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The ingest job killed mid-stream (its consumers dropped without further acknowledgements, like a dead worker)
 * and started again on the same subscription: every order is a row, and exactly one row (writes are idempotent
 * upserts keyed by order id; replays carry the same event time, so the row is unchanged).
 */
@ExtendWith(LocalStackExtension.class)
class IngestRestartIT {

  @Test
  void killedAndRestartedMidStreamLosesNothingAndDuplicatesNothing(LocalStack stack) throws Exception {
    String topic = stack.pulsarTopic("ingest", "restart-it-" + UUID.randomUUID().toString().substring(0, 8));
    stack.createPartitionedTopic(topic, 3);
    int n = 1500;
    List<UUID> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ids.add(UUID.randomUUID());
    }
    PipelineResult first = BridgeMain.run(IngestFromPulsarIT.options(stack, topic, "--pulsarSubscription=restart"));
    AtomicBoolean publishing = new AtomicBoolean(true);
    Instant now = Instant.now();
    Thread publisher = new Thread(() -> {
      try (PulsarClient client = PulsarClient.builder().serviceUrl(stack.pulsarServiceUrlTls())
               .tlsTrustCertsFilePath(stack.caCert().toString()).enableTlsHostnameVerification(true)
               .authentication(AuthenticationFactory.token(stack::pulsarClientToken)).build();
           Producer<byte[]> producer = client.newProducer().topic(topic).create()) {
        Thread.sleep(3000);
        for (int i = 0; i < n; i++) {
          UUID id = ids.get(i);
          producer.newMessage().key(id.toString()).property("event_id", "e-" + id).eventTime(now.toEpochMilli() + i)
              .value(bytes(order(id, 1, OrderStatus.PAID, now))).send();
          Thread.sleep(i % 10 == 0 ? 10 : 0); // about 1,000 events per second
        }
      } catch (Exception e) {
        throw new IllegalStateException(e);
      } finally {
        publishing.set(false);
      }
    });
    publisher.start();
    try (CqlSession session = IngestTestSupport.session(stack)) {
      await("a third of the rows before the kill", 90, () -> IngestTestSupport.rows(session, ids.subList(0, 500)).size() >= 300);
      // kill: the job goes away and its consumers with it, acknowledging nothing more
      first.cancel();
      AstraStreamingIO.closeConsumersOfThisJvm();
      long rowsAtKill = IngestTestSupport.rows(session, ids).size();
      PipelineResult second = BridgeMain.run(IngestFromPulsarIT.options(stack, topic, "--pulsarSubscription=restart"));
      try {
        publisher.join();
        await("every order as a row after the restart", 120, () -> IngestTestSupport.rows(session, ids).size() == n);
        List<Row> rows = IngestTestSupport.rows(session, ids);
        System.out.printf("restart: %d rows at the kill, %d after the restart (expected %d)%n", rowsAtKill, rows.size(), n);
        assertThat(rowsAtKill).isLessThan(n);
        assertThat(rows).hasSize(n);
        assertThat(rows).extracting(r -> r.getUuid("order_id")).doesNotHaveDuplicates();
        assertThat(session.execute("SELECT COUNT(*) FROM orders WHERE order_id IN ?", ids.subList(0, 100)).one().getLong(0))
            .as("one row per order").isEqualTo(100);
      } finally {
        second.cancel();
      }
    }
  }
}
