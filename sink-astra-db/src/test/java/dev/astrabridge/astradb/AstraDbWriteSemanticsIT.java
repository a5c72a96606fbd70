package dev.astrabridge.astradb;

import static dev.astrabridge.astradb.SinkTestSupport.collect;
import static dev.astrabridge.astradb.SinkTestSupport.collected;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import dev.astrabridge.astradb.decode.PayloadFormat;
import dev.astrabridge.astradb.mapping.MappingPlan;
import dev.astrabridge.astradb.mapping.MappingSpec;
import dev.astrabridge.astradb.mapping.MappingValidationException;
import dev.astrabridge.localstack.LocalStack;
import dev.astrabridge.localstack.LocalStackExtension;
import dev.astrabridge.schemas.envelope.BridgeMessage;
import dev.astrabridge.schemas.envelope.DeadLetter;
import dev.astrabridge.schemas.events.DeviceTelemetry;
import dev.astrabridge.schemas.events.OrderEvent;
import dev.astrabridge.schemas.events.OrderStatus;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.Pipeline;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Write semantics of AstraDbIO against the real node: write-time, TTL, replays, deletes, evolution, dead letters. */
@ExtendWith(LocalStackExtension.class)
class AstraDbWriteSemanticsIT {

  private static AstraDbIO.Write orders(LocalStack stack) {
    return AstraDbIO.write().withConnection(SinkTestSupport.connection(stack)).withTable(stack.keyspace(), "orders")
        .withPayloadFormat(PayloadFormat.avroSingleObject(OrderEvent.getClassSchema()))
        .withMapping(MappingSpec.parse(Orders.MAPPING));
  }


  @Test
  void writeTimeIsTheEventTimeAndTtlComesFromTheRecord(LocalStack stack) {
    // given a reading with a 1-hour TTL and an event time one minute ago
    Instant eventTime = Instant.now().minus(1, ChronoUnit.MINUTES).truncatedTo(ChronoUnit.MILLIS);
    String device = "ttl-" + UUID.randomUUID();
    DeviceTelemetry reading = DeviceTelemetry.newBuilder().setEventId(UUID.randomUUID()).setDeviceId(device)
        .setReadingTime(eventTime).setTemperatureC(20.5).setHumidityPct(null).setBatteryMv(3000).setLocation(null)
        .setFirmware("1").setFlags(List.of("a")).setMetrics(Map.of()).setIpAddress("10.1.2.3").setTtlSeconds(3600).build();
    Pipeline pipeline = SinkTestSupport.pipeline();
    SinkTestSupport.create(pipeline, List.of(SinkTestSupport.message(bytes(reading), "t-1", eventTime)))
        .apply(AstraDbIO.write().withConnection(SinkTestSupport.connection(stack)).withTable(stack.keyspace(), "device_telemetry")
            .withPayloadFormat(PayloadFormat.avroSingleObject(DeviceTelemetry.getClassSchema()))
            .withMapping(MappingSpec.parse("__ttl = ttl_seconds, *")));
    pipeline.run().waitUntilFinish();

    try (CqlSession session = SinkTestSupport.session(stack)) {
      Row row = session.execute("SELECT WRITETIME(temperature_c), TTL(temperature_c), ip_address FROM device_telemetry"
          + " WHERE device_id = ?", device).one();
      assertThat(row).isNotNull();
      long expectedMicros = eventTime.toEpochMilli() * 1000L;
      assertThat(row.getLong(0)).isEqualTo(expectedMicros);
      assertThat(row.getInt(1)).isBetween(3500, 3600);
      assertThat(row.getInetAddress(2).getHostAddress()).isEqualTo("10.1.2.3");
    }
  }

  @Test
  void explicitTimestampMappingOverridesTheEventTime(LocalStack stack) {
    Instant readingTime = Instant.parse("2026-03-01T12:00:00.250Z");
    String device = "ts-" + UUID.randomUUID();
    DeviceTelemetry reading = DeviceTelemetry.newBuilder().setEventId(UUID.randomUUID()).setDeviceId(device)
        .setReadingTime(readingTime).setTemperatureC(1.0).setHumidityPct(null).setBatteryMv(1).setLocation(null)
        .setFirmware("1").setFlags(List.of()).setMetrics(Map.of()).setIpAddress(null).setTtlSeconds(null).build();
    Pipeline pipeline = SinkTestSupport.pipeline();
    SinkTestSupport.create(pipeline, List.of(SinkTestSupport.message(bytes(reading), "t-2", Instant.now())))
        .apply(AstraDbIO.write().withConnection(SinkTestSupport.connection(stack)).withTable(stack.keyspace(), "device_telemetry")
            .withPayloadFormat(PayloadFormat.avroSingleObject(DeviceTelemetry.getClassSchema()))
            .withMapping(MappingSpec.parse("__timestamp = reading_time, *")));
    pipeline.run().waitUntilFinish();
    try (CqlSession session = SinkTestSupport.session(stack)) {
      Row row = session.execute("SELECT WRITETIME(temperature_c), TTL(temperature_c) FROM device_telemetry WHERE device_id = ?", device).one();
      assertThat(row.getLong(0)).isEqualTo(readingTime.toEpochMilli() * 1000L);
      assertThat(row.isNull(1)).as("no TTL when none is mapped").isTrue();
    }
  }

  @Test
  void duplicatesAndOlderReplaysLeaveTheNewestVersion(LocalStack stack) {
    UUID id = UUID.randomUUID();
    Instant t1 = Instant.parse("2026-11-26T10:00:00Z");
    Instant t2 = t1.plusSeconds(30);
    OrderEvent v1 = Orders.order(id, 1, OrderStatus.PENDING, t1);
    OrderEvent v2 = Orders.order(id, 2, OrderStatus.SHIPPED, t1);
    // given the newest version, its duplicate and the older version in one bundle, in that order
    Pipeline first = SinkTestSupport.pipeline();
    SinkTestSupport.create(first, List.of(Orders.message(v2, "m-2", t2), Orders.message(v2, "m-2", t2), Orders.message(v1, "m-1", t1)))
        .apply(orders(stack));
    first.run().waitUntilFinish();
    // and the older version replayed later, alone
    Pipeline replay = SinkTestSupport.pipeline();
    SinkTestSupport.create(replay, List.of(Orders.message(v1, "m-1", t1))).apply(orders(stack));
    replay.run().waitUntilFinish();

    try (CqlSession session = SinkTestSupport.session(stack)) {
      Row row = session.execute("SELECT version, status, amount, source_message_id, shipping_address, items, currency,"
          + " WRITETIME(status) FROM orders WHERE order_id = ?", id).one();
      assertThat(row.getLong("version")).isEqualTo(2);
      assertThat(row.getString("status")).isEqualTo("SHIPPED");
      assertThat(row.getBigDecimal("amount")).isEqualByComparingTo("12.00");
      assertThat(row.getString("source_message_id")).isEqualTo("m-2");
      assertThat(row.getString("currency")).isEqualTo("USD");
      assertThat(row.getUdtValue("shipping_address").getString("city")).isEqualTo("Arlington");
      assertThat(row.getList("items", com.datastax.oss.driver.api.core.data.UdtValue.class).get(0).getString("sku")).isEqualTo("SKU-2");
      assertThat(row.getLong(7)).isEqualTo(t2.toEpochMilli() * 1000L);
    }
  }

  @Test
  void deleteFieldAndTombstonesDeleteRowsWithTheSameWriteTimeRule(LocalStack stack) {
    UUID deleted = UUID.randomUUID();
    UUID tombstoned = UUID.randomUUID();
    UUID staleDelete = UUID.randomUUID();
    Instant t = Instant.parse("2026-11-26T11:00:00Z");
    Pipeline insert = SinkTestSupport.pipeline();
    List<BridgeMessage> inserts = new ArrayList<>();
    for (UUID id : List.of(deleted, tombstoned, staleDelete)) {
      BridgeMessage m = Orders.message(Orders.order(id, 1, OrderStatus.PAID, t), "ins-" + id, t);
      m.setKey(id.toString());
      inserts.add(m);
    }
    SinkTestSupport.create(insert, inserts).apply(orders(stack).withDeleteField("deleted"));
    insert.run().waitUntilFinish();

    // when: a record flagged deleted (later), a tombstone with the key (later), and a delete OLDER than the row
    OrderEvent flagged = Orders.order(deleted, 2, OrderStatus.CANCELLED, t);
    flagged.setDeleted(true);
    OrderEvent staleFlagged = Orders.order(staleDelete, 0, OrderStatus.CANCELLED, t);
    staleFlagged.setDeleted(true);
    BridgeMessage tombstone = SinkTestSupport.message(new byte[0], "tomb", t.plusSeconds(10));
    tombstone.setKey(tombstoned.toString());
    BridgeMessage flaggedMessage = Orders.message(flagged, "del", t.plusSeconds(10));
    flaggedMessage.setKey(deleted.toString());
    BridgeMessage staleMessage = Orders.message(staleFlagged, "stale", t.minusSeconds(10));
    staleMessage.setKey(staleDelete.toString());
    Pipeline delete = SinkTestSupport.pipeline();
    AstraDbIO.WriteResult result = SinkTestSupport.create(delete, List.of(flaggedMessage, staleMessage, tombstone))
        .apply(orders(stack).withDeleteField("deleted").withTombstonesAsDeletes(true)
            .withMapping(MappingSpec.parse("order_id = @key, " + Orders.MAPPING)));
    collect(result.getDeadLetters(), "deletes");
    delete.run().waitUntilFinish();

    assertThat(collected("deletes")).isEmpty();
    try (CqlSession session = SinkTestSupport.session(stack)) {
      assertThat(session.execute("SELECT order_id FROM orders WHERE order_id = ?", deleted).one()).isNull();
      assertThat(session.execute("SELECT order_id FROM orders WHERE order_id = ?", tombstoned).one()).isNull();
      assertThat(session.execute("SELECT status FROM orders WHERE order_id = ?", staleDelete).one())
          .as("a delete older than the row does not remove it").isNotNull();
    }
  }

  @Test
  void olderAndNewerWriterSchemasAreResolvedAgainstTheReaderSchema(LocalStack stack) {
    Schema reader = OrderEvent.getClassSchema();
    // an older writer: no coupon_code, no updated_at; a newer one: an extra field the table knows nothing of
    Schema older = withoutFields(reader, "coupon_code", "updated_at");
    Schema newer = withExtraField(reader);
    UUID oldId = UUID.randomUUID();
    UUID newId = UUID.randomUUID();
    GenericRecord oldRecord = toGeneric(Orders.order(oldId, 1, OrderStatus.PAID, Instant.now().truncatedTo(ChronoUnit.MILLIS)), older);
    GenericRecord newRecord = toGeneric(Orders.order(newId, 1, OrderStatus.PAID, Instant.now().truncatedTo(ChronoUnit.MILLIS)), newer);
    newRecord.put("coupon_code", "WELCOME");
    newRecord.put("loyalty_points", 12);

    Pipeline pipeline = SinkTestSupport.pipeline();
    AstraDbIO.WriteResult result = SinkTestSupport.create(pipeline, List.of(
            SinkTestSupport.message(SinkTestSupport.singleObject(oldRecord), "old", Instant.now()),
            SinkTestSupport.message(SinkTestSupport.singleObject(newRecord), "new", Instant.now())))
        .apply(orders(stack).withPayloadFormat(PayloadFormat.avroSingleObject(reader).withWriterSchemas(older, newer)));
    collect(result.getDeadLetters(), "evolution");
    pipeline.run().waitUntilFinish();

    assertThat(collected("evolution")).isEmpty();
    try (CqlSession session = SinkTestSupport.session(stack)) {
      Row old = session.execute("SELECT status, coupon_code FROM orders WHERE order_id = ?", oldId).one();
      assertThat(old.getString("status")).isEqualTo("PAID");
      assertThat(old.isNull("coupon_code")).isTrue();
      assertThat(session.execute("SELECT coupon_code FROM orders WHERE order_id = ?", newId).one().getString(0)).isEqualTo("WELCOME");
    }
  }

  @Test
  void undecodableAndOversizeRecordsAreDeadLetteredWhileGoodOnesAreWritten(LocalStack stack) {
    UUID good = UUID.randomUUID();
    UUID big = UUID.randomUUID();
    OrderEvent bigOrder = Orders.order(big, 1, OrderStatus.PAID, Instant.now());
    bigOrder.setCouponCode("x".repeat(5000));
    GenericRecord unknownWriter = new GenericData.Record(SchemaBuilder.record("Other").fields().requiredString("a").endRecord());
    unknownWriter.put("a", "b");
    BridgeMessage malformed = SinkTestSupport.message(new byte[] {(byte) 0xC3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9}, "malformed", Instant.now());
    BridgeMessage notAvro = SinkTestSupport.message("{\"json\": true}".getBytes(), "not-avro", Instant.now());
    BridgeMessage empty = SinkTestSupport.message(new byte[0], "empty", Instant.now());
    BridgeMessage wrongSchema = SinkTestSupport.message(SinkTestSupport.singleObject(unknownWriter), "wrong-schema", Instant.now());

    Pipeline pipeline = SinkTestSupport.pipeline();
    AstraDbIO.WriteResult result = SinkTestSupport.create(pipeline, List.of(
            Orders.message(Orders.order(good, 1, OrderStatus.PAID, Instant.now()), "good", Instant.now()),
            Orders.message(bigOrder, "big", Instant.now()), malformed, notAvro, empty, wrongSchema))
        .apply(orders(stack).withMaxRowBytes(4096));
    collect(result.getDeadLetters(), "bad-input");
    pipeline.run().waitUntilFinish();

    List<DeadLetter> dead = collected("bad-input");
    assertThat(dead).extracting(d -> d.getMessage().getMessageId() + "|" + d.getStage() + "|" + d.getError())
        .hasSize(5)
        .anySatisfy(s -> assertThat(s).startsWith("big|map|").contains("over the limit of 4096 bytes"))
        .anySatisfy(s -> assertThat(s).startsWith("malformed|decode|").contains("unknown writer schema"))
        .anySatisfy(s -> assertThat(s).startsWith("not-avro|decode|").contains("C3 01 marker"))
        .anySatisfy(s -> assertThat(s).startsWith("empty|decode|").contains("empty payload"))
        .anySatisfy(s -> assertThat(s).startsWith("wrong-schema|decode|").contains("unknown writer schema"));
    assertThat(dead).allSatisfy(d -> assertThat(d.getMessage().getPayload()).isNotNull());
    try (CqlSession session = SinkTestSupport.session(stack)) {
      assertThat(session.execute("SELECT order_id FROM orders WHERE order_id = ?", good).one()).isNotNull();
      assertThat(session.execute("SELECT order_id FROM orders WHERE order_id = ?", big).one()).isNull();
    }
  }

  @Test
  void everyMappingProblemIsReportedTogetherAtStart(LocalStack stack) {
    try (CqlSession session = SinkTestSupport.session(stack)) {
      session.execute("CREATE TABLE IF NOT EXISTS counters_it (id text PRIMARY KEY, hits counter)");
      MappingSpec bad = MappingSpec.parse("customer_name = customer.nmae, no_such_column = version,"
          + " created_at = customer, amount = tags, __ttl = status");
      assertThatThrownBy(() -> MappingPlan.build(session, stack.keyspace(), "orders", bad, OrderEvent.getClassSchema(),
              MappingPlan.Options.defaults()))
          .isInstanceOfSatisfying(MappingValidationException.class, e -> assertThat(e.problems())
              .hasSize(6)
              .anySatisfy(p -> assertThat(p).contains("'customer_name = customer.nmae'").contains("field 'customer.nmae' does not exist")
                  .contains("customer_id, name, email, shipping_address"))
              .anySatisfy(p -> assertThat(p).contains("column no_such_column does not exist in astra_bridge.orders"))
              .anySatisfy(p -> assertThat(p).contains("'created_at = customer'").contains("column created_at is timestamp")
                  .contains("Avro record Customer"))
              .anySatisfy(p -> assertThat(p).contains("'amount = tags'").contains("column amount is decimal").contains("Avro map"))
              .anySatisfy(p -> assertThat(p).contains("'__ttl = status'").contains("Avro enum OrderStatus"))
              .anySatisfy(p -> assertThat(p).contains("primary key column order_id (uuid) is not mapped")));
      assertThatThrownBy(() -> MappingPlan.build(session, stack.keyspace(), "counters_it", MappingSpec.auto(),
              OrderEvent.getClassSchema(), MappingPlan.Options.defaults()))
          .hasMessageContaining("column hits is a counter");
      assertThatThrownBy(() -> MappingPlan.build(session, stack.keyspace(), "no_such_table", MappingSpec.auto(),
              OrderEvent.getClassSchema(), MappingPlan.Options.defaults()))
          .hasMessageContaining("table astra_bridge.no_such_table does not exist").hasMessageContaining("orders");
    }
  }

  @Test
  void aPipelineWithAnInvalidMappingFailsAtStartNamingTheProblem(LocalStack stack) {
    Pipeline pipeline = SinkTestSupport.pipeline();
    SinkTestSupport.create(pipeline, List.of(Orders.message(Orders.order(UUID.randomUUID(), 1, OrderStatus.PAID, Instant.now()), "x", Instant.now())))
        .apply(orders(stack).withMapping(MappingSpec.parse("created_at = customer, " + Orders.MAPPING)));
    assertThatThrownBy(() -> pipeline.run().waitUntilFinish())
        .hasMessageContaining("'created_at = customer'").hasMessageContaining("column created_at is timestamp")
        .satisfies(e -> assertThat(stackTraceOf(e)).doesNotContain(stack.astraToken()));
  }

  @Test
  void writesThroughTheSecureConnectBundle(LocalStack stack) {
    UUID id = UUID.randomUUID();
    Pipeline pipeline = SinkTestSupport.pipeline();
    AstraDbIO.WriteResult result = SinkTestSupport.create(pipeline, List.of(Orders.message(Orders.order(id, 7, OrderStatus.DELIVERED, Instant.now()), "scb", Instant.now())))
        .apply(orders(stack).withConnection(dev.astrabridge.astradb.connect.AstraDbConnection.astra(
            dev.astrabridge.astradb.connect.SecretRef.of("path:" + stack.secureConnectBundle()),
            dev.astrabridge.astradb.connect.SecretRef.file(stack.astraTokenFile().toString()))));
    collect(result.getDeadLetters(), "scb");
    pipeline.run().waitUntilFinish();
    assertThat(collected("scb")).isEmpty();
    try (CqlSession session = SinkTestSupport.session(stack)) {
      assertThat(session.execute("SELECT version, status FROM orders WHERE order_id = ?", id).one().getString("status"))
          .isEqualTo("DELIVERED");
    }
  }

  static byte[] bytes(DeviceTelemetry reading) {
    try {
      ByteBuffer b = reading.toByteBuffer();
      byte[] out = new byte[b.remaining()];
      b.get(out);
      return out;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static Schema withoutFields(Schema schema, String... names) {
    List<Schema.Field> fields = new ArrayList<>();
    for (Schema.Field f : schema.getFields()) {
      if (!List.of(names).contains(f.name())) {
        fields.add(new Schema.Field(f, f.schema()));
      }
    }
    return Schema.createRecord(schema.getName(), schema.getDoc(), schema.getNamespace(), false, fields);
  }

  static Schema withExtraField(Schema schema) {
    List<Schema.Field> fields = new ArrayList<>();
    for (Schema.Field f : schema.getFields()) {
      fields.add(new Schema.Field(f, f.schema()));
    }
    fields.add(new Schema.Field("loyalty_points", Schema.create(Schema.Type.INT), null, 0));
    return Schema.createRecord(schema.getName(), schema.getDoc(), schema.getNamespace(), false, fields);
  }

  /** The specific record re-read as a generic record of another (compatible) writer schema. */
  static GenericRecord toGeneric(OrderEvent order, Schema writer) {
    try {
      ByteBuffer single = order.toByteBuffer();
      byte[] all = new byte[single.remaining()];
      single.get(all);
      byte[] body = java.util.Arrays.copyOfRange(all, 10, all.length);
      GenericRecord asReader = new org.apache.avro.generic.GenericDatumReader<GenericRecord>(OrderEvent.getClassSchema())
          .read(null, org.apache.avro.io.DecoderFactory.get().binaryDecoder(body, null));
      GenericRecord out = new GenericData.Record(writer);
      for (Schema.Field f : writer.getFields()) {
        Schema.Field source = OrderEvent.getClassSchema().getField(f.name());
        out.put(f.name(), source == null ? f.defaultVal() : asReader.get(f.name()));
      }
      return out;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static String stackTraceOf(Throwable e) {
    java.io.StringWriter out = new java.io.StringWriter();
    e.printStackTrace(new java.io.PrintWriter(out));
    return out.toString();
  }
}
