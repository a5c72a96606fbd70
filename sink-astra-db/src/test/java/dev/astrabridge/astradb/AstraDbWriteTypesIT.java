package dev.astrabridge.astradb;

import static dev.astrabridge.astradb.SinkTestSupport.binary;
import static dev.astrabridge.astradb.SinkTestSupport.collect;
import static dev.astrabridge.astradb.SinkTestSupport.collected;
import static dev.astrabridge.astradb.SinkTestSupport.message;
import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.data.CqlDuration;
import com.datastax.oss.driver.api.core.data.CqlVector;
import com.datastax.oss.driver.api.core.data.TupleValue;
import com.datastax.oss.driver.api.core.data.UdtValue;
import com.datastax.oss.driver.api.core.uuid.Uuids;
import dev.astrabridge.astradb.decode.PayloadFormat;
import dev.astrabridge.astradb.mapping.MappingSpec;
import dev.astrabridge.localstack.LocalStack;
import dev.astrabridge.localstack.LocalStackExtension;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.avro.Conversions;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.Pipeline;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Every supported Avro→CQL type pair, written through AstraDbIO into a real table and read back. */
@ExtendWith(LocalStackExtension.class)
class AstraDbWriteTypesIT {
  static final String TABLE = "types_it";

  static final Schema SCHEMA = SinkTestSupport.schema("""
      {"type":"record","name":"AllTypes","namespace":"it","fields":[
        {"name":"id","type":"string"},
        {"name":"b","type":"boolean"},
        {"name":"i","type":"int"},
        {"name":"l","type":"long"},
        {"name":"f","type":"float"},
        {"name":"d","type":"double"},
        {"name":"t","type":"string"},
        {"name":"vc","type":"string"},
        {"name":"a","type":"string"},
        {"name":"ip","type":"string"},
        {"name":"bl","type":"bytes"},
        {"name":"fx","type":{"type":"fixed","name":"Four","size":4}},
        {"name":"en","type":{"type":"enum","name":"Color","symbols":["RED","GREEN"]}},
        {"name":"dec","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":3}},
        {"name":"decfx","type":{"type":"fixed","name":"Dec8","size":8,"logicalType":"decimal","precision":12,"scale":2}},
        {"name":"vi","type":{"type":"bytes","logicalType":"decimal","precision":30,"scale":0}},
        {"name":"u","type":{"type":"string","logicalType":"uuid"}},
        {"name":"tu","type":"string"},
        {"name":"dt","type":{"type":"int","logicalType":"date"}},
        {"name":"tm","type":{"type":"int","logicalType":"time-millis"}},
        {"name":"tmu","type":{"type":"long","logicalType":"time-micros"}},
        {"name":"ts","type":{"type":"long","logicalType":"timestamp-millis"}},
        {"name":"tsu","type":{"type":"long","logicalType":"timestamp-micros"}},
        {"name":"lts","type":{"type":"long","logicalType":"local-timestamp-millis"}},
        {"name":"li","type":{"type":"array","items":"int"}},
        {"name":"st","type":{"type":"array","items":"string"}},
        {"name":"fli","type":{"type":"array","items":"string"}},
        {"name":"m","type":{"type":"map","values":"int"}},
        {"name":"addr","type":{"type":"record","name":"Addr","fields":[
          {"name":"street","type":"string"},{"name":"city","type":"string"},
          {"name":"postalCode","type":["null","string"],"default":null},{"name":"country","type":"string"},
          {"name":"ignored_extra","type":"int","default":0}]}},
        {"name":"tup","type":{"type":"record","name":"Pair","fields":[{"name":"first","type":"string"},{"name":"second","type":"int"}]}},
        {"name":"tup_arr","type":{"type":"array","items":"string"}},
        {"name":"opt","type":["null","string"],"default":null},
        {"name":"opt_int","type":["null","int"],"default":null},
        {"name":"vec","type":{"type":"array","items":"float"}},
        {"name":"dur","type":"string"},
        {"name":"si","type":"int"},
        {"name":"ti","type":"int"}
      ]}""");

  @BeforeAll
  static void createTable(LocalStack stack) {
    try (CqlSession session = SinkTestSupport.session(stack)) {
      session.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " (id text PRIMARY KEY, b boolean, i int, l bigint, f float,"
          + " d double, t text, vc varchar, a ascii, ip inet, bl blob, fx blob, en text, dec decimal, decfx decimal,"
          + " vi varint, u uuid, tu timeuuid, dt date, tm time, tmu time, ts timestamp, tsu timestamp, lts timestamp,"
          + " li list<int>, st set<text>, fli frozen<list<text>>, m map<text, int>, addr frozen<address>, addr_json text,"
          + " tup tuple<text, int>, tup_arr tuple<text, text>, opt text, opt_int int, vec vector<float, 3>, dur duration,"
          + " si smallint, ti tinyint)");
      session.execute("TRUNCATE " + TABLE);
    }
  }

  static ByteBuffer decimalBytes(String value, int scale) {
    Schema s = LogicalTypes.decimal(30, scale).addToSchema(Schema.create(Schema.Type.BYTES));
    return new Conversions.DecimalConversion().toBytes(new BigDecimal(value).setScale(scale), s, s.getLogicalType());
  }

  static GenericRecord sample(String id, UUID u, UUID tu) {
    GenericRecord addr = new GenericData.Record(SCHEMA.getField("addr").schema());
    addr.put("street", "1 Main St");
    addr.put("city", "Lyon");
    addr.put("postalCode", "69001");
    addr.put("country", "FR");
    addr.put("ignored_extra", 7);
    GenericRecord pair = new GenericData.Record(SCHEMA.getField("tup").schema());
    pair.put("first", "x");
    pair.put("second", 2);
    Schema fixed8 = SCHEMA.getField("decfx").schema();
    GenericRecord r = new GenericData.Record(SCHEMA);
    r.put("id", id);
    r.put("b", true);
    r.put("i", 42);
    r.put("l", 1L << 40);
    r.put("f", 1.5f);
    r.put("d", 2.25);
    r.put("t", "héllo");
    r.put("vc", "varchar");
    r.put("a", "ascii only");
    r.put("ip", "192.168.1.20");
    r.put("bl", ByteBuffer.wrap(new byte[] {1, 2, 3}));
    r.put("fx", new GenericData.Fixed(SCHEMA.getField("fx").schema(), new byte[] {9, 8, 7, 6}));
    r.put("en", new GenericData.EnumSymbol(SCHEMA.getField("en").schema(), "GREEN"));
    r.put("dec", decimalBytes("1234.567", 3));
    r.put("decfx", new Conversions.DecimalConversion().toFixed(new BigDecimal("99.95"), fixed8, fixed8.getLogicalType()));
    r.put("vi", decimalBytes("123456789012345678901234567", 0));
    r.put("u", u.toString());
    r.put("tu", tu.toString());
    r.put("dt", (int) LocalDate.of(2026, 11, 26).toEpochDay());
    r.put("tm", (int) (LocalTime.of(10, 15, 30, 123_000_000).toNanoOfDay() / 1_000_000));
    r.put("tmu", LocalTime.of(23, 59, 59, 999_999_000).toNanoOfDay() / 1_000);
    r.put("ts", Instant.parse("2026-11-26T10:15:30.123Z").toEpochMilli());
    r.put("tsu", 1_790_000_000_123_456L);
    r.put("lts", Instant.parse("2026-01-02T03:04:05.006Z").toEpochMilli());
    r.put("li", List.of(3, 1, 2));
    r.put("st", List.of("b", "a", "b"));
    r.put("fli", List.of("x", "y"));
    r.put("m", Map.of("one", 1, "two", 2));
    r.put("addr", addr);
    r.put("tup", pair);
    r.put("tup_arr", List.of("left", "right"));
    r.put("opt", null);
    r.put("opt_int", 5);
    r.put("vec", List.of(0.1f, 0.2f, 0.3f));
    r.put("dur", "P1DT2H3M");
    r.put("si", 300);
    r.put("ti", -7);
    return r;
  }

  @Test
  void everySupportedTypeIsWrittenAndReadBack(LocalStack stack) {
    // given one record with a value of every type
    UUID u = UUID.randomUUID();
    UUID tu = Uuids.timeBased();
    GenericRecord record = sample("all", u, tu);
    Pipeline pipeline = SinkTestSupport.pipeline();

    // when it is written through AstraDbIO (auto mapping by name, plus explicit entries for the rest)
    AstraDbIO.WriteResult result = SinkTestSupport.create(pipeline, List.of(message(binary(record), "m-1", Instant.now())))
        .apply(AstraDbIO.write()
            .withConnection(SinkTestSupport.connection(stack))
            .withTable(stack.keyspace(), TABLE)
            .withPayloadFormat(PayloadFormat.avroBinary(SCHEMA))
            .withMapping(MappingSpec.parse("addr_json = addr, *")));
    collect(result.getDeadLetters(), "types");
    pipeline.run().waitUntilFinish();

    // then nothing is dead-lettered and every column holds the value
    assertThat(collected("types")).isEmpty();
    try (CqlSession session = SinkTestSupport.session(stack)) {
      Row row = session.execute("SELECT * FROM " + TABLE + " WHERE id = 'all'").one();
      assertThat(row).isNotNull();
      assertThat(row.getBoolean("b")).isTrue();
      assertThat(row.getInt("i")).isEqualTo(42);
      assertThat(row.getLong("l")).isEqualTo(1L << 40);
      assertThat(row.getFloat("f")).isEqualTo(1.5f);
      assertThat(row.getDouble("d")).isEqualTo(2.25);
      assertThat(row.getString("t")).isEqualTo("héllo");
      assertThat(row.getString("vc")).isEqualTo("varchar");
      assertThat(row.getString("a")).isEqualTo("ascii only");
      assertThat(row.getInetAddress("ip").getHostAddress()).isEqualTo("192.168.1.20");
      assertThat(row.getByteBuffer("bl")).isEqualTo(ByteBuffer.wrap(new byte[] {1, 2, 3}));
      assertThat(row.getByteBuffer("fx")).isEqualTo(ByteBuffer.wrap(new byte[] {9, 8, 7, 6}));
      assertThat(row.getString("en")).isEqualTo("GREEN");
      assertThat(row.getBigDecimal("dec")).isEqualByComparingTo("1234.567");
      assertThat(row.getBigDecimal("decfx")).isEqualByComparingTo("99.95");
      assertThat(row.getBigInteger("vi")).isEqualTo(new BigInteger("123456789012345678901234567"));
      assertThat(row.getUuid("u")).isEqualTo(u);
      assertThat(row.getUuid("tu")).isEqualTo(tu);
      assertThat(row.getLocalDate("dt")).isEqualTo(LocalDate.of(2026, 11, 26));
      assertThat(row.getLocalTime("tm")).isEqualTo(LocalTime.of(10, 15, 30, 123_000_000));
      assertThat(row.getLocalTime("tmu")).isEqualTo(LocalTime.of(23, 59, 59, 999_999_000));
      assertThat(row.getInstant("ts")).isEqualTo(Instant.parse("2026-11-26T10:15:30.123Z"));
      assertThat(row.getInstant("tsu")).isEqualTo(Instant.ofEpochMilli(1_790_000_000_123L)); // CQL timestamps are ms
      assertThat(row.getInstant("lts")).isEqualTo(Instant.parse("2026-01-02T03:04:05.006Z"));
      assertThat(row.getList("li", Integer.class)).containsExactly(3, 1, 2);
      assertThat(row.getSet("st", String.class)).containsExactlyInAnyOrder("a", "b");
      assertThat(row.getList("fli", String.class)).containsExactly("x", "y");
      assertThat(row.getMap("m", String.class, Integer.class)).isEqualTo(Map.of("one", 1, "two", 2));
      UdtValue addr = row.getUdtValue("addr");
      assertThat(addr.getString("street")).isEqualTo("1 Main St");
      assertThat(addr.getString("city")).isEqualTo("Lyon");
      assertThat(addr.getString("postal_code")).isEqualTo("69001");
      assertThat(addr.getString("country")).isEqualTo("FR");
      assertThat(row.getString("addr_json")).contains("\"city\": \"Lyon\"").contains("\"street\": \"1 Main St\"");
      TupleValue tup = row.getTupleValue("tup");
      assertThat(tup.getString(0)).isEqualTo("x");
      assertThat(tup.getInt(1)).isEqualTo(2);
      assertThat(row.getTupleValue("tup_arr").getString(1)).isEqualTo("right");
      assertThat(row.isNull("opt")).isTrue();
      assertThat(row.getInt("opt_int")).isEqualTo(5);
      CqlVector<Float> vec = row.getVector("vec", Float.class);
      assertThat(vec).containsExactly(0.1f, 0.2f, 0.3f);
      assertThat(row.getCqlDuration("dur")).isEqualTo(CqlDuration.from("P1DT2H3M"));
      assertThat(row.getShort("si")).isEqualTo((short) 300);
      assertThat(row.getByte("ti")).isEqualTo((byte) -7);
    }
  }

  @Test
  void valuesAColumnCannotTakeAreDeadLetteredPerRecord(LocalStack stack) {
    // given records whose values fail at run time: a malformed uuid, a non-version-1 timeuuid, a vector of 2 values,
    // a non-ASCII ascii, a host name for an inet, smallint out of range — next to one good record
    GenericRecord good = sample("good", UUID.randomUUID(), Uuids.timeBased());
    GenericRecord badUuid = sample("bad-uuid", UUID.randomUUID(), Uuids.timeBased());
    badUuid.put("u", "not-a-uuid");
    GenericRecord badTimeuuid = sample("bad-timeuuid", UUID.randomUUID(), UUID.randomUUID());
    GenericRecord badVector = sample("bad-vector", UUID.randomUUID(), Uuids.timeBased());
    badVector.put("vec", List.of(1f, 2f));
    GenericRecord badAscii = sample("bad-ascii", UUID.randomUUID(), Uuids.timeBased());
    badAscii.put("a", "naïve");
    GenericRecord badInet = sample("bad-inet", UUID.randomUUID(), Uuids.timeBased());
    badInet.put("ip", "example.com");
    GenericRecord badSmallint = sample("bad-smallint", UUID.randomUUID(), Uuids.timeBased());
    badSmallint.put("si", 70000);
    Pipeline pipeline = SinkTestSupport.pipeline();
    List<GenericRecord> records = List.of(good, badUuid, badTimeuuid, badVector, badAscii, badInet, badSmallint);
    AstraDbIO.WriteResult result = SinkTestSupport.create(pipeline, records.stream()
            .map(r -> message(binary(r), r.get("id").toString(), Instant.now())).toList())
        .apply(AstraDbIO.write().withConnection(SinkTestSupport.connection(stack)).withTable(stack.keyspace(), TABLE)
            .withPayloadFormat(PayloadFormat.avroBinary(SCHEMA)).withMapping(MappingSpec.parse("addr_json = addr, *")));
    collect(result.getDeadLetters(), "bad-values");
    pipeline.run().waitUntilFinish();

    // then each bad record is dead-lettered at stage "map" with its original bytes and reason; the good one is written
    var dead = collected("bad-values");
    assertThat(dead).hasSize(6).allSatisfy(d -> assertThat(d.getStage()).isEqualTo("map"));
    assertThat(dead).extracting(d -> d.getMessage().getMessageId() + ": " + d.getError())
        .anySatisfy(s -> assertThat(s).startsWith("bad-uuid: ").contains("'not-a-uuid' is not a uuid"))
        .anySatisfy(s -> assertThat(s).startsWith("bad-timeuuid: ").contains("timeuuid column takes version 1"))
        .anySatisfy(s -> assertThat(s).startsWith("bad-vector: ").contains("3 dimensions cannot take 2 values"))
        .anySatisfy(s -> assertThat(s).startsWith("bad-ascii: ").contains("is not ASCII"))
        .anySatisfy(s -> assertThat(s).startsWith("bad-inet: ").contains("not an IP address literal"))
        .anySatisfy(s -> assertThat(s).startsWith("bad-smallint: ").contains("out of range for smallint"));
    assertThat(dead).allSatisfy(d -> {
      assertThat(d.getMappingEntry()).isNotBlank();
      assertThat(d.getRecordJson()).contains(d.getMessage().getMessageId());
      assertThat(d.getTarget()).isEqualTo("astra_bridge.types_it");
    });
    GenericRecord original = badUuid;
    assertThat(dead.stream().filter(d -> d.getMessage().getMessageId().equals("bad-uuid")).findFirst().orElseThrow()
        .getMessage().getPayload()).isEqualTo(ByteBuffer.wrap(binary(original)));
    try (CqlSession session = SinkTestSupport.session(stack)) {
      assertThat(session.execute("SELECT id FROM " + TABLE + " WHERE id = 'good'").one()).isNotNull();
      assertThat(session.execute("SELECT id FROM " + TABLE + " WHERE id = 'bad-uuid'").one()).isNull();
    }
  }
}
