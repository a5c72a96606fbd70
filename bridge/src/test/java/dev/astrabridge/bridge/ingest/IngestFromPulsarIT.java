package dev.astrabridge.bridge.ingest;

import static dev.astrabridge.bridge.ingest.IngestTestSupport.await;
import static dev.astrabridge.bridge.ingest.IngestTestSupport.bytes;
import static dev.astrabridge.bridge.ingest.IngestTestSupport.order;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import dev.astrabridge.bridge.BridgeMain;
import dev.astrabridge.bridge.metrics.Scrape;
import dev.astrabridge.bridge.options.BridgeOptions;
import dev.astrabridge.bridge.pulsar.PulsarTestSupport;
import dev.astrabridge.localstack.LocalStack;
import dev.astrabridge.localstack.LocalStackExtension;
import dev.astrabridge.schemas.events.OrderEvent;
import dev.astrabridge.schemas.events.OrderStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The ingest job end to end from Astra Streaming (real broker, real Cassandra) on the DirectRunner. */
@ExtendWith(LocalStackExtension.class)
class IngestFromPulsarIT {

  static BridgeOptions options(LocalStack stack, String topic, String... extra) {
    List<String> args = new ArrayList<>(List.of(
        "--runner=DirectRunner", "--mode=ingest", "--source=pulsar",
        "--pulsarServiceUrl=" + stack.pulsarServiceUrlTls(), "--pulsarToken=file:" + stack.pulsarClientTokenFile(),
        "--pulsarTlsTrustCerts=" + stack.caCert(), "--pulsarTopics=" + topic, "--pulsarSubscription=ingest-it",
        "--pulsarIdleTimeout=2s",
        "--cassandraContactPoints=" + stack.cassandraContactPoint().getHostString() + ":" + stack.cassandraContactPoint().getPort(),
        "--cassandraLocalDc=" + stack.cassandraLocalDc(), "--cassandraUsername=token",
        "--cassandraPassword=file:" + stack.astraTokenFile(), "--keyspace=" + stack.keyspace(), "--table=orders",
        "--mapping=" + IngestTestSupport.ORDERS_MAPPING, "--schema=OrderEvent", "--payloadEncoding=single-object",
        "--dedupBy=attribute:event_id", "--windowType=fixed", "--windowSize=1m", "--allowedLateness=1m",
        "--deadLetter=cassandra:" + stack.keyspace() + ".dead_letter"));
    for (String e : extra) { // an extra option replaces the default of the same name
      String name = e.substring(0, e.indexOf('=') + 1);
      args.removeIf(a -> a.startsWith(name));
      args.add(e);
    }
    BridgeOptions options = PipelineOptionsFactory.fromArgs(args.toArray(new String[0])).withValidation().as(BridgeOptions.class);
    options.as(DirectOptions.class).setBlockOnRun(false);
    return options;
  }

  static double scrape(String metric, String... labels) {
    try {
      return Scrape.value(metric, labels);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void duplicatesOutOfOrderVersionsMalformedAndLateEventsEndToEnd(LocalStack stack) throws Exception {
    String topic = stack.pulsarTopic("ingest", "orders-it-" + UUID.randomUUID().toString().substring(0, 8));
    stack.createPartitionedTopic(topic, 3);
    String table = "table=\"" + stack.keyspace() + ".orders\"";
    String source = "source=\"pulsar:" + topic + "\"";
    double decodedBefore = Scrape.value("astradb_decoded_total", table);
    double writtenBefore = Scrape.value("astradb_rows_written_total", table);
    double latencyCountBefore = Scrape.value("astradb_event_to_write_seconds_count", table);
    PipelineResult job = BridgeMain.run(options(stack, topic, "--prometheusPort=" + Scrape.freePort()));
    try (PulsarClient client = PulsarTestSupport.client(stack);
         Producer<byte[]> producer = client.newProducer().topic(topic).create();
         CqlSession session = IngestTestSupport.session(stack)) {
      Thread.sleep(3000); // the subscription exists once the readers started
      Instant now = Instant.now();
      List<UUID> ids = new ArrayList<>();
      // 200 orders; every 10th published 3 times with the same event_id
      for (int i = 0; i < 200; i++) {
        UUID id = UUID.randomUUID();
        ids.add(id);
        OrderEvent order = order(id, 1, OrderStatus.PAID, now);
        for (int copy = 0; copy < (i % 10 == 0 ? 3 : 1); copy++) {
          producer.newMessage().key(id.toString()).property("event_id", "e-" + id).eventTime(now.toEpochMilli() + i)
              .value(bytes(order)).send();
        }
      }
      // one order in two versions, the newer (later event time) published first
      UUID versioned = UUID.randomUUID();
      ids.add(versioned);
      producer.newMessage().key(versioned.toString()).property("event_id", "v2").eventTime(now.toEpochMilli() + 5000)
          .value(bytes(order(versioned, 2, OrderStatus.SHIPPED, now))).send();
      producer.newMessage().key(versioned.toString()).property("event_id", "v1").eventTime(now.toEpochMilli() + 1000)
          .value(bytes(order(versioned, 1, OrderStatus.PENDING, now))).send();
      // three malformed payloads
      for (int i = 0; i < 3; i++) {
        producer.newMessage().property("event_id", "bad-" + i).eventTime(now.toEpochMilli())
            .value(("not avro " + i).getBytes()).send();
      }

      await("201 order rows", 90, () -> IngestTestSupport.rows(session, ids).size() == 201);
      await("3 decode dead letters", 60, () -> IngestTestSupport.deadLetters(session, "pulsar:" + topic).stream()
          .filter(r -> "decode".equals(r.getString("stage"))).count() == 3);

      // late: event time 10 minutes ago, after the watermark moved past its 1-minute window + 1 minute lateness
      Thread.sleep(4000);
      UUID late = UUID.randomUUID();
      for (int i = 0; i < 20; i++) {
        UUID id = i == 0 ? late : UUID.randomUUID();
        producer.newMessage().key(id.toString()).property("event_id", "late-" + id)
            .eventTime(now.minus(Duration.ofMinutes(10)).toEpochMilli()).value(bytes(order(id, 1, OrderStatus.PAID, now))).send();
      }
      await("late dead letters", 60, () -> IngestTestSupport.deadLetters(session, "pulsar:" + topic).stream()
          .filter(r -> "late".equals(r.getString("stage"))).count() >= 15);

      List<Row> rows = IngestTestSupport.rows(session, ids);
      assertThat(rows).hasSize(201);
      Row v = rows.stream().filter(r -> r.getUuid("order_id").equals(versioned)).findFirst().orElseThrow();
      assertThat(v.getLong("version")).as("the later event time wins, whatever the arrival order").isEqualTo(2);
      assertThat(v.getString("status")).isEqualTo("SHIPPED");
      List<Row> dead = IngestTestSupport.deadLetters(session, "pulsar:" + topic);
      assertThat(dead).filteredOn(r -> "decode".equals(r.getString("stage"))).hasSize(3)
          .allSatisfy(r -> assertThat(new String(r.getByteBuffer("payload").array())).startsWith("not avro"));
      assertThat(dead).filteredOn(r -> "late".equals(r.getString("stage")))
          .allSatisfy(r -> assertThat(r.getString("error")).contains("behind the watermark"));
      assertThat(session.execute("SELECT order_id FROM orders WHERE order_id = ?", late).one())
          .as("a late event is dead-lettered, not written").isNull();

      // the per-stage meters, read through the job's Prometheus endpoint: 200 + 40 copies + 2 versions + 3 malformed
      // + 20 late = 265 received, 40 duplicates; every decoded record written, each with an event-time latency
      await("265 received", 30, () -> scrape("ingest_received_total", source) == 265);
      await("every late event either dead-lettered or decoded", 30, () -> scrape("ingest_late_total", source)
          + scrape("astradb_decoded_total", table) - decodedBefore == 222);
      assertThat(scrape("ingest_duplicates_total", source)).isEqualTo(40);
      double lateCount = scrape("ingest_late_total", source);
      await("as many late dead letters as counted", 30, () -> IngestTestSupport.deadLetters(session, "pulsar:" + topic)
          .stream().filter(r -> "late".equals(r.getString("stage"))).count() == lateCount);
      double decoded = Scrape.value("astradb_decoded_total", table) - decodedBefore;
      await("rows written == decoded", 30, () -> scrape("astradb_rows_written_total", table) - writtenBefore == decoded);
      assertThat(Scrape.value("astradb_event_to_write_seconds_count", table) - latencyCountBefore).isEqualTo(decoded);
      assertThat(Scrape.value("astradb_event_to_write_seconds_bucket", table, "le=\"+Inf\"") - latencyCountBefore)
          .as("the latency histogram Prometheus computes percentiles from").isEqualTo(decoded);
      assertThat(Scrape.value("astradb_event_to_write_seconds_max", table)).isPositive();
    } finally {
      job.cancel();
    }
  }

  /**
   * Dedup state outlives bundles and checkpoints on the Flink runner: the same 300 ids published again 12 s later
   * (checkpoints every second in between) are all dropped as duplicates, and the first copies are all written.
   */
  @Test
  void duplicatesArrivingLaterAreDroppedOnTheFlinkRunner(LocalStack stack) throws Exception {
    String topic = stack.pulsarTopic("ingest", "dedup-flink-it-" + UUID.randomUUID().toString().substring(0, 8));
    stack.createPartitionedTopic(topic, 2);
    String source = "source=\"pulsar:" + topic + "\"";
    BridgeOptions options = options(stack, topic, "--runner=FlinkRunner", "--windowType=none",
        "--dedupBy=attribute:event_id", "--pulsarSubscription=dedup-flink-it", "--prometheusPort=" + Scrape.freePort());
    options.as(org.apache.beam.runners.flink.FlinkPipelineOptions.class).setParallelism(2);
    options.as(org.apache.beam.runners.flink.FlinkPipelineOptions.class).setCheckpointingInterval(1000L);
    options.as(org.apache.beam.runners.flink.FlinkPipelineOptions.class).setAttachedMode(false);
    PipelineResult job = BridgeMain.run(options);
    try (PulsarClient client = PulsarTestSupport.client(stack);
         Producer<byte[]> producer = client.newProducer().topic(topic).create();
         CqlSession session = IngestTestSupport.session(stack)) {
      Instant now = Instant.now();
      List<UUID> ids = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        ids.add(UUID.randomUUID());
      }
      for (int copy = 0; copy < 2; copy++) {
        for (int i = 0; i < 300; i++) {
          UUID id = ids.get(i);
          producer.newMessage().key(id.toString()).property("event_id", "e-" + id).eventTime(now.toEpochMilli())
              .value(bytes(order(id, copy + 1, OrderStatus.PAID, now))).sendAsync();
        }
        producer.flush();
        if (copy == 0) {
          await("300 rows", 90, () -> IngestTestSupport.rows(session, ids).size() == 300);
          Thread.sleep(1000L * Integer.getInteger("dedup.gapSeconds", 12));
        }
      }
      await("300 duplicates counted", 60, () -> scrape("ingest_duplicates_total", source) == 300);
      Thread.sleep(3000);
      assertThat(scrape("ingest_received_total", source)).isEqualTo(600);
      assertThat(IngestTestSupport.rows(session, ids)).hasSize(300)
          .allSatisfy(r -> assertThat(r.getLong("version")).as("the second copies were dropped").isEqualTo(1));
    } finally {
      job.cancel();
    }
  }

  /**
   * --schema=registry: records of two registered schema versions (v1 without coupon_code, v2 = OrderEvent with it),
   * produced as Pulsar's AVRO producers do (plain Avro binary, the version stamped on each message), all land with
   * v2 as the reader schema; a message stamped with no version is dead-lettered with the reason.
   */
  @Test
  void registeredSchemaVersionsAreResolvedToTheLatest(LocalStack stack) throws Exception {
    String topic = stack.pulsarTopic("ingest", "registry-it-" + UUID.randomUUID().toString().substring(0, 8));
    stack.createPartitionedTopic(topic, 2);
    org.apache.avro.Schema v2 = OrderEvent.getClassSchema();
    org.apache.avro.Schema v1 = withoutField(v2, "coupon_code");
    String schemaPath = "/admin/v2/schemas/" + topic.substring("persistent://".length()) + "/schema";
    uploadSchema(stack, schemaPath, v1);
    Instant now = Instant.now();
    List<UUID> ids = new ArrayList<>();
    try (PulsarClient client = PulsarTestSupport.client(stack)) {
      try (Producer<byte[]> producer = client.newProducer(org.apache.pulsar.client.api.Schema.AUTO_PRODUCE_BYTES())
          .topic(topic).create()) {
        for (int i = 0; i < 20; i++) {
          UUID id = UUID.randomUUID();
          ids.add(id);
          producer.newMessage().key(id.toString()).eventTime(now.toEpochMilli()).value(binary(order(id, 1,
              OrderStatus.PAID, now), v1)).send();
        }
      }
      uploadSchema(stack, schemaPath, v2);
      try (Producer<byte[]> producer = client.newProducer(org.apache.pulsar.client.api.Schema.AUTO_PRODUCE_BYTES())
          .topic(topic).create();
           Producer<byte[]> plain = client.newProducer().topic(topic).create()) {
        for (int i = 0; i < 20; i++) {
          UUID id = UUID.randomUUID();
          ids.add(id);
          OrderEvent order = order(id, 2, OrderStatus.SHIPPED, now);
          order.setCouponCode("SAVE" + i);
          producer.newMessage().key(id.toString()).eventTime(now.toEpochMilli()).value(binary(order, v2)).send();
        }
        // plain bytes: no schema version on the message
        plain.newMessage().eventTime(now.toEpochMilli()).value(binary(order(UUID.randomUUID(), 3, OrderStatus.PAID,
            now), v2)).send();
      } catch (org.apache.pulsar.client.api.PulsarClientException.IncompatibleSchemaException e) {
        throw new AssertionError("the broker refused a plain producer on a topic with a schema: " + e.getMessage(), e);
      }
    }
    PipelineResult job = BridgeMain.run(options(stack, topic, "--schema=registry", "--pulsarAdminUrl="
        + stack.pulsarAdminUrl(), "--pulsarSubscription=registry-it", "--windowType=none", "--dedupBy=message-id"));
    try (CqlSession session = IngestTestSupport.session(stack)) {
      await("40 rows of both versions", 90, () -> IngestTestSupport.rows(session, ids).size() == 40);
      await("the unversioned message dead-lettered", 60, () -> IngestTestSupport.deadLetters(session, "pulsar:" + topic)
          .stream().anyMatch(r -> "decode".equals(r.getString("stage"))));
      for (UUID id : ids) {
        Row row = session.execute("SELECT version, coupon_code FROM orders WHERE order_id = ?", id).one();
        boolean second = ids.indexOf(id) >= 20;
        assertThat(row.getLong("version")).isEqualTo(second ? 2 : 1);
        assertThat(row.getString("coupon_code")).as("v1 records resolve to v2's default (null)")
            .isEqualTo(second ? "SAVE" + (ids.indexOf(id) - 20) : null);
      }
      assertThat(IngestTestSupport.deadLetters(session, "pulsar:" + topic))
          .filteredOn(r -> "decode".equals(r.getString("stage"))).singleElement()
          .satisfies(r -> assertThat(r.getString("error")).contains("names no schema version"));
    } finally {
      job.cancel();
    }
  }

  @Test
  void registeredSchemaOfATopicWithoutOneFailsAtStart(LocalStack stack) {
    String topic = stack.pulsarTopic("ingest", "no-schema-it-" + UUID.randomUUID().toString().substring(0, 8));
    stack.createPartitionedTopic(topic, 1);
    assertThatThrownBy(() -> BridgeMain.build(options(stack, topic, "--schema=registry",
        "--pulsarAdminUrl=" + stack.pulsarAdminUrl())))
        .hasMessageContaining("--schema=registry: topic " + topic + " has no registered schema")
        .hasMessageNotContaining(stack.pulsarClientToken());
    assertThatThrownBy(() -> BridgeMain.build(options(stack, topic, "--schema=registry")))
        .hasMessageContaining("--schema=registry: needs --pulsarAdminUrl");
  }

  static void uploadSchema(LocalStack stack, String path, org.apache.avro.Schema schema) throws Exception {
    String body = new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(Map.of("type", "AVRO",
        "schema", schema.toString(), "properties", Map.of()));
    java.net.http.HttpResponse<String> response = stack.pulsarAdmin("POST", path, body);
    assertThat(response.statusCode()).as(response.body()).isBetween(200, 299);
  }

  /** The schema without one field (an older version of it). */
  static org.apache.avro.Schema withoutField(org.apache.avro.Schema schema, String field) throws Exception {
    com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
    com.fasterxml.jackson.databind.node.ObjectNode tree = (com.fasterxml.jackson.databind.node.ObjectNode)
        json.readTree(schema.toString());
    com.fasterxml.jackson.databind.node.ArrayNode fields = (com.fasterxml.jackson.databind.node.ArrayNode)
        tree.get("fields");
    for (int i = 0; i < fields.size(); i++) {
      if (field.equals(fields.get(i).get("name").asText())) {
        fields.remove(i);
        break;
      }
    }
    return new org.apache.avro.Schema.Parser().parse(json.writeValueAsString(tree));
  }

  /** The order as plain Avro binary of {@code writer} (a projection of OrderEvent). */
  static byte[] binary(OrderEvent order, org.apache.avro.Schema writer) throws Exception {
    java.io.ByteArrayOutputStream full = new java.io.ByteArrayOutputStream();
    org.apache.avro.io.BinaryEncoder e = org.apache.avro.io.EncoderFactory.get().binaryEncoder(full, null);
    new org.apache.avro.specific.SpecificDatumWriter<OrderEvent>(OrderEvent.getClassSchema()).write(order, e);
    e.flush();
    org.apache.avro.generic.GenericRecord projected = new org.apache.avro.generic.GenericDatumReader<
        org.apache.avro.generic.GenericRecord>(OrderEvent.getClassSchema(), writer).read(null,
        org.apache.avro.io.DecoderFactory.get().binaryDecoder(full.toByteArray(), null));
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    org.apache.avro.io.BinaryEncoder e2 = org.apache.avro.io.EncoderFactory.get().binaryEncoder(out, null);
    new org.apache.avro.generic.GenericDatumWriter<org.apache.avro.generic.GenericRecord>(writer).write(projected, e2);
    e2.flush();
    return out.toByteArray();
  }
}
