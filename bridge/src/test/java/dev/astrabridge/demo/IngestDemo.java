package dev.astrabridge.demo;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import dev.astrabridge.bridge.BridgeMain;
import dev.astrabridge.bridge.options.BridgeOptions;
import dev.astrabridge.localstack.LocalStack;
import dev.astrabridge.schemas.common.Address;
import dev.astrabridge.schemas.events.CurrencyCode;
import dev.astrabridge.schemas.events.Customer;
import dev.astrabridge.schemas.events.LineItem;
import dev.astrabridge.schemas.events.OrderEvent;
import dev.astrabridge.schemas.events.OrderStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.search.Search;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.pulsar.client.api.AuthenticationFactory;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;

/**
 * The README's main job: the ingest pipeline from Astra Streaming into Astra DB on the embedded Flink runner
 * (checkpointing on), fed with generated OrderEvents that include duplicates, malformed payloads and late events,
 * with a live progress line and a closing summary checked against Cassandra. -Devents=N changes the volume.
 */
public final class IngestDemo {
  public static void main(String[] args) {
    try {
      System.exit(runDemo() ? 0 : 1);
    } catch (Throwable t) {
      t.printStackTrace();
      System.exit(1); // Flink's embedded cluster keeps non-daemon threads: never leave the JVM behind
    }
  }

  static boolean runDemo() throws Exception {
    int events = Integer.getInteger("events", 5000);
    int rate = Integer.getInteger("rate", 500);
    LocalStack stack = LocalStack.get();
    String run = UUID.randomUUID().toString().substring(0, 6);
    String topic = stack.pulsarTopic("ingest", "orders-demo-" + run);
    stack.createPartitionedTopic(topic, 3);
    Instant started = Instant.now();

    String[] jobArgs = {
        "--runner=FlinkRunner", "--parallelism=2", "--checkpointingInterval=2000", "--attachedMode=false",
        "--mode=ingest", "--source=pulsar", "--pulsarServiceUrl=" + stack.pulsarServiceUrlTls(),
        "--pulsarToken=file:" + stack.pulsarClientTokenFile(), "--pulsarTlsTrustCerts=" + stack.caCert(),
        "--pulsarTopics=" + topic, "--pulsarSubscription=demo", "--pulsarIdleTimeout=2s",
        "--astraSecureConnectBundle=" + stack.secureConnectBundle(), "--astraToken=file:" + stack.astraTokenFile(),
        "--keyspace=" + stack.keyspace(), "--table=orders", "--schema=OrderEvent", "--payloadEncoding=single-object",
        "--mapping=customer_id = customer.customer_id, customer_name = customer.name, customer_email = customer.email,"
            + " shipping_address = customer.shipping_address, source_message_id = @message_id, *",
        "--dedupBy=attribute:event_id", "--windowType=fixed", "--windowSize=1m", "--allowedLateness=1m",
        "--rollupTable=order_rollups", "--rollupKeys=status", "--rollupFields=amount", "--earlyFiring=5s",
        "--deadLetter=cassandra:" + stack.keyspace() + ".dead_letter", "--prometheusPort=19464"};
    System.out.println("astra-bridge ingest demo: Astra Streaming topic " + topic + " -> Astra DB (Secure Connect"
        + " Bundle) table " + stack.keyspace() + ".orders, on the embedded Flink runner");
    System.out.println("  job: BridgeMain " + String.join(" ", jobArgs).replaceAll("file:\\S+", "file:<secret file>"));
    BridgeOptions options = PipelineOptionsFactory.fromArgs(jobArgs).withValidation().as(BridgeOptions.class);
    PipelineResult job = BridgeMain.run(options);

    Random random = new Random(42);
    List<UUID> valid = new ArrayList<>();
    List<UUID> late = new ArrayList<>();
    int duplicates = 0;
    int malformed = 0;
    int published = 0;
    try (PulsarClient client = PulsarClient.builder().serviceUrl(stack.pulsarServiceUrlTls())
             .tlsTrustCertsFilePath(stack.caCert().toString()).enableTlsHostnameVerification(true)
             .authentication(AuthenticationFactory.token(stack::pulsarClientToken)).build();
         Producer<byte[]> producer = client.newProducer().topic(topic).create()) {
      Thread.sleep(5000); // readers subscribe
      long t0 = System.nanoTime();
      long nextProgress = System.nanoTime();
      for (int i = 0; i < events; i++) {
        if (i == events * 9 / 10) {
          // the stragglers come after a pause, once the watermark has moved on
          producer.flush();
          for (int s = 0; s < 6; s++) {
            Thread.sleep(1000);
            progress(published + duplicates);
          }
          t0 = System.nanoTime() - (long) (1e9 * i / rate);
        }
        Instant now = Instant.now();
        if (i % 100 == 99) {
          producer.newMessage().property("event_id", "bad-" + run + "-" + i).eventTime(now.toEpochMilli())
              .value(("{\"not\": \"avro\", \"n\": " + i + "}").getBytes(StandardCharsets.UTF_8)).sendAsync();
          malformed++;
        } else {
          boolean isLate = i >= events * 9 / 10 && i % 10 == 0;
          UUID id = UUID.randomUUID();
          Instant eventTime = isLate ? now.minus(Duration.ofMinutes(10)) : now;
          OrderEvent order = order(id, random, eventTime);
          int copies = !isLate && i % 25 == 0 ? 3 : 1;
          for (int c = 0; c < copies; c++) {
            producer.newMessage().key(id.toString()).property("event_id", "e-" + id)
                .eventTime(eventTime.toEpochMilli()).value(bytes(order)).sendAsync();
          }
          duplicates += copies - 1;
          (isLate ? late : valid).add(id);
        }
        published++;
        long due = t0 + (long) (1e9 * (i + 1) / rate);
        long wait = due - System.nanoTime();
        if (wait > 0) {
          TimeUnit.NANOSECONDS.sleep(wait);
        }
        if (System.nanoTime() >= nextProgress) {
          progress(published + duplicates);
          nextProgress = System.nanoTime() + 1_000_000_000L;
        }
      }
      producer.flush();
    }
    long expectedHandled = (long) valid.size() + duplicates + malformed + late.size();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline && handled() < expectedHandled) {
      progress(published + duplicates);
      Thread.sleep(1000);
    }
    Thread.sleep(8000); // a last rollup pane and the dead letters' writes
    progress(published + duplicates);
    System.out.println();

    try (CqlSession session = CqlSession.builder().withCloudSecureConnectBundle(stack.secureConnectBundle())
        .withAuthCredentials("token", stack.astraToken()).withKeyspace(stack.keyspace()).build()) {
      long validRows = countRows(session, valid);
      long lateRows = countRows(session, late);
      long deadDecode = 0;
      long deadLate = 0;
      for (Row row : session.execute("SELECT stage, source FROM dead_letter WHERE day = ?", LocalDate.now(ZoneOffset.UTC))) {
        if (("pulsar:" + topic).equals(stripPartition(row.getString("source")))) {
          deadDecode += "decode".equals(row.getString("stage")) ? 1 : 0;
          deadLate += "late".equals(row.getString("stage")) ? 1 : 0;
        }
      }
      long rollupCount = 0;
      for (OrderStatus status : OrderStatus.values()) {
        for (Row row : session.execute("SELECT count FROM order_rollups WHERE status = ? AND window_start >= ?",
            status.name(), started.minus(Duration.ofMinutes(1)))) {
          rollupCount += row.getLong(0);
        }
      }
      System.out.println("Summary");
      System.out.printf("  %-52s %8s %8s  %s%n", "", "sent", "found", "");
      line("events published (all kinds, copies included)", published + duplicates, published + duplicates);
      line("distinct on-time orders -> rows in orders", valid.size(), validRows);
      line("duplicate copies -> dropped by dedup", duplicates, (long) counter("ingest.duplicates"));
      line("malformed payloads -> dead_letter (decode)", malformed, deadDecode);
      line("late events -> dead_letter (late)", late.size(), deadLate);
      System.out.printf("  %-52s %8s %8d  %s%n", "late events written anyway (watermark probe lag)", "", lateRows,
          lateRows + deadLate == late.size() ? "ok" : "MISMATCH");
      System.out.printf("  %-52s %8s %8d  %s%n", "rows counted by the order_rollups windows (status)", "",
          rollupCount, rollupCount >= validRows ? "ok" : "(panes still open)");
      boolean ok = validRows == valid.size() && deadDecode == malformed && lateRows + deadLate == late.size();
      System.out.println(ok ? "OK: Cassandra agrees with what was published" : "MISMATCH: see the rows above");
      job.cancel();
      return ok;
    }
  }

  static String stripPartition(String source) {
    return source == null ? null : source.replaceAll("-partition-\\d+$", "");
  }

  static void line(String what, long sent, long found) {
    System.out.printf("  %-52s %8d %8d  %s%n", what, sent, found, sent == found ? "ok" : "MISMATCH");
  }

  static double counter(String name, String... tags) {
    return Search.in(Metrics.globalRegistry).name(name).tags(tags).counters().stream().mapToDouble(Counter::count).sum();
  }

  static long handled() {
    return (long) (counter("astradb.rows.written", "table", "astra_bridge.orders") + counter("ingest.duplicates")
        + counter("ingest.late") + counter("astradb.dead.lettered", "table", "astra_bridge.orders"));
  }

  private static double lastWritten;
  private static long lastAt = System.nanoTime();

  static void progress(long published) {
    double written = counter("astradb.rows.written", "table", "astra_bridge.orders");
    long now = System.nanoTime();
    double rate = (written - lastWritten) / ((now - lastAt) / 1e9);
    lastWritten = written;
    lastAt = now;
    System.out.printf("\r  published %,7d | written %,7.0f rows (%,6.0f/s) | duplicates %,5.0f | late %,4.0f |"
            + " dead-lettered %,4.0f   ", published, written, rate, counter("ingest.duplicates"), counter("ingest.late"),
        counter("astradb.dead.lettered", "table", "astra_bridge.orders") + counter("ingest.late"));
    System.out.flush();
  }

  static long countRows(CqlSession session, List<UUID> ids) throws InterruptedException {
    var prepared = session.prepare("SELECT order_id FROM orders WHERE order_id = ?");
    java.util.concurrent.Semaphore inFlight = new java.util.concurrent.Semaphore(128);
    java.util.concurrent.atomic.AtomicLong found = new java.util.concurrent.atomic.AtomicLong();
    for (UUID id : ids) {
      inFlight.acquire();
      session.executeAsync(prepared.bind(id)).whenComplete((rs, e) -> {
        if (e == null && rs.one() != null) {
          found.incrementAndGet();
        }
        inFlight.release();
      });
    }
    inFlight.acquire(128);
    return found.get();
  }

  static OrderEvent order(UUID id, Random random, Instant eventTime) {
    OrderStatus status = OrderStatus.values()[random.nextInt(OrderStatus.values().length)];
    return OrderEvent.newBuilder().setOrderId(id).setVersion(1).setStatus(status)
        .setCustomer(Customer.newBuilder().setCustomerId("c-" + random.nextInt(500)).setName("Customer " + random.nextInt(500))
            .setEmail(null).setShippingAddress(Address.newBuilder().setStreet(random.nextInt(200) + " Rue de Rivoli")
                .setCity("Paris").setPostalCode("75001").setCountry("FR").build()).build())
        .setAmount(BigDecimal.valueOf(100 + random.nextInt(100_000), 2))
        .setCurrency(new CurrencyCode("EUR".getBytes(StandardCharsets.US_ASCII)))
        .setItems(List.of(LineItem.newBuilder().setSku("SKU-" + random.nextInt(50)).setQuantity(1 + random.nextInt(3))
            .setUnitPrice(BigDecimal.valueOf(100 + random.nextInt(10_000), 2)).build()))
        .setTags(Map.of("channel", random.nextBoolean() ? "web" : "app")).setCreatedAt(eventTime).build();
  }

  static byte[] bytes(OrderEvent order) throws java.io.IOException {
    ByteBuffer b = order.toByteBuffer();
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  private IngestDemo() {}
}
