package dev.astrabridge.bridge.batch;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.uuid.Uuids;
import com.fasterxml.jackson.databind.JsonNode;
import dev.astrabridge.bridge.BridgeMain;
import dev.astrabridge.bridge.options.BridgeOptions;
import dev.astrabridge.localstack.LocalStack;
import dev.astrabridge.localstack.LocalStackExtension;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** --mode=load and --mode=export end to end on the DirectRunner against the real Cassandra node. */
@ExtendWith(LocalStackExtension.class)
class LoadExportIT {
  static final Schema SCHEMA = schema();
  static final int ROWS = 300;

  static Schema schema() {
    try (InputStream in = LoadExportIT.class.getResourceAsStream("/batch/AllTypes.avsc")) {
      return new Schema.Parser().parse(in);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @BeforeAll
  static void tables(LocalStack stack) {
    try (CqlSession session = session(stack)) {
      for (String table : List.of("batch_types_avro", "batch_types_jsonl", "batch_types_csv", "batch_types_topic",
          "batch_types_pulsar")) {
        session.execute("CREATE TABLE IF NOT EXISTS " + table + " (id text PRIMARY KEY, b boolean, i int, l bigint,"
            + " f float, d double, t text, a ascii, ip inet, bl blob, fx blob, en text, dec decimal, vi varint, u uuid,"
            + " tu timeuuid, dt date, tm time, tmu time, ts timestamp, lts timestamp, li list<int>, st set<text>,"
            + " m map<text, int>, addr frozen<address>, tup tuple<text, int>, vec vector<float, 3>, dur duration,"
            + " si smallint, ti tinyint, opt text)");
        session.execute("TRUNCATE " + table);
      }
    }
  }

  static CqlSession session(LocalStack stack) {
    return CqlSession.builder().addContactPoint(stack.cassandraContactPoint()).withLocalDatacenter(stack.cassandraLocalDc())
        .withAuthCredentials("token", stack.astraToken()).withKeyspace(stack.keyspace()).build();
  }

  /** Row n: a value of every type, varied by n; nulls in the optional fields of every third row. */
  static GenericRecord sample(int n) {
    GenericRecord addr = new GenericData.Record(SCHEMA.getField("addr").schema());
    addr.put("street", n + " Main St, \"Suite\" 5");
    addr.put("city", "Lyon");
    addr.put("postalCode", n % 3 == 0 ? null : "69001");
    addr.put("country", "FR");
    GenericRecord pair = new GenericData.Record(SCHEMA.getField("tup").schema());
    pair.put("first", "x" + n);
    pair.put("second", n);
    GenericRecord r = new GenericData.Record(SCHEMA);
    r.put("id", "row-" + n);
    r.put("b", n % 2 == 0);
    r.put("i", n * 7 - 1000);
    r.put("l", (1L << 40) + n);
    r.put("f", n + 0.5f);
    r.put("d", n / 4.0);
    r.put("t", "héllo, world\n line " + n);
    r.put("a", "ascii " + n);
    r.put("ip", n % 2 == 0 ? "192.168.1." + (n % 250) : "2001:db8:0:0:0:0:0:" + Integer.toHexString(n + 1));
    r.put("bl", java.nio.ByteBuffer.wrap(new byte[] {1, 2, (byte) n}));
    r.put("fx", new GenericData.Fixed(SCHEMA.getField("fx").schema(), new byte[] {9, 8, 7, (byte) n}));
    r.put("en", new GenericData.EnumSymbol(SCHEMA.getField("en").schema(), n % 2 == 0 ? "RED" : "GREEN"));
    Schema dec = SCHEMA.getField("dec").schema();
    r.put("dec", new org.apache.avro.Conversions.DecimalConversion().toBytes(new java.math.BigDecimal(n + ".125"), dec, dec.getLogicalType()));
    Schema vi = SCHEMA.getField("vi").schema();
    r.put("vi", new org.apache.avro.Conversions.DecimalConversion().toBytes(new java.math.BigDecimal("123456789012345678901234" + n % 10), vi, vi.getLogicalType()));
    r.put("u", UUID.nameUUIDFromBytes(("u" + n).getBytes(StandardCharsets.UTF_8)).toString());
    r.put("tu", Uuids.startOf(1_700_000_000_000L + n).toString());
    r.put("dt", (int) LocalDate.of(2026, 1, 1).plusDays(n).toEpochDay());
    r.put("tm", 36_000_000 + n);
    r.put("tmu", 86_399_999_999L - n);
    r.put("ts", 1_790_000_000_123L + n);
    r.put("lts", LocalDate.of(2026, 1, 2).atStartOfDay().toInstant(ZoneOffset.UTC).toEpochMilli() + n);
    r.put("li", List.of(n, 1, n));
    r.put("st", List.of("a", "b" + n));
    r.put("m", new TreeMap<>(java.util.Map.of("one", 1, "n", n)));
    r.put("addr", addr);
    r.put("tup", pair);
    r.put("vec", List.of(0.5f, 0.25f, (float) n));
    r.put("dur", "P1DT2H" + (n % 60 == 0 ? "" : (n % 60) + "M")); // the canonical ISO form export writes
    r.put("si", 300 + n);
    r.put("ti", -(n % 100));
    r.put("opt", n % 3 == 0 ? null : "opt " + n);
    return r;
  }

  static List<GenericRecord> samples() {
    List<GenericRecord> out = new ArrayList<>();
    for (int n = 0; n < ROWS; n++) {
      out.add(sample(n));
    }
    return out;
  }

  static String[] common(LocalStack stack, Path schemaFile, String... more) {
    List<String> args = new ArrayList<>(List.of("--runner=DirectRunner", "--targetParallelism=2",
        "--cassandraContactPoints=" + stack.cassandraContactPoint().getHostString() + ":" + stack.cassandraContactPoint().getPort(),
        "--cassandraLocalDc=" + stack.cassandraLocalDc(), "--cassandraUsername=token",
        "--cassandraPassword=file:" + stack.astraTokenFile(), "--keyspace=" + stack.keyspace(),
        "--schema=" + schemaFile, "--deadLetter=cassandra:" + stack.keyspace() + ".dead_letter"));
    args.addAll(List.of(more));
    return args.toArray(new String[0]);
  }

  static void run(String... args) {
    BridgeOptions options = PipelineOptionsFactory.fromArgs(args).withValidation().as(BridgeOptions.class);
    PipelineResult result = BridgeMain.run(options);
    assertThat(result.waitUntilFinish()).isEqualTo(PipelineResult.State.DONE);
  }

  static Path schemaFile(Path dir) throws IOException {
    Path file = dir.resolve("AllTypes.avsc");
    Files.writeString(file, SCHEMA.toString(true));
    return file;
  }

  static Set<JsonNode> json(List<GenericRecord> records) {
    Set<JsonNode> out = new HashSet<>();
    records.forEach(r -> out.add(RecordText.json(r)));
    assertThat(out).hasSize(records.size());
    return out;
  }

  static List<Path> files(Path dir, String suffix) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList();
    }
  }

  /** Every exported record, parsed back with the load side's own reader of that format. */
  static List<GenericRecord> readBack(Path dir, FileFormat format) throws Exception {
    List<GenericRecord> out = new ArrayList<>();
    List<Path> files = files(dir, format.suffix);
    assertThat(files).isNotEmpty();
    for (Path file : files) {
      switch (format) {
        case AVRO:
          try (DataFileReader<GenericRecord> reader = new DataFileReader<>(file.toFile(), new GenericDatumReader<>(null, SCHEMA))) {
            reader.forEach(out::add);
          }
          break;
        case JSONL:
          for (String line : Files.readAllLines(file)) {
            out.add(RecordText.record(RecordText.parseJson(line), SCHEMA));
          }
          break;
        case CSV:
          try (org.apache.commons.csv.CSVParser parser = org.apache.commons.csv.CSVFormat.RFC4180.builder().setHeader()
              .setSkipHeaderRecord(true).get().parse(Files.newBufferedReader(file))) {
            for (org.apache.commons.csv.CSVRecord row : parser) {
              out.add(RecordText.record(row.toMap(), SCHEMA));
            }
          }
          break;
        default:
          throw new AssertionError(format);
      }
    }
    return out;
  }

  static void writeInput(Path file, FileFormat format, List<GenericRecord> records) throws IOException {
    switch (format) {
      case AVRO:
        try (DataFileWriter<GenericRecord> writer = new DataFileWriter<>(new GenericDatumWriter<GenericRecord>(SCHEMA))) {
          writer.create(SCHEMA, file.toFile());
          for (GenericRecord r : records) {
            writer.append(r);
          }
        }
        break;
      case JSONL: {
        StringBuilder text = new StringBuilder();
        records.forEach(r -> text.append(RecordText.json(r)).append('\n'));
        Files.writeString(file, text);
        break;
      }
      case CSV: {
        List<String> header = new ArrayList<>();
        SCHEMA.getFields().forEach(f -> header.add(f.name()));
        StringBuilder text = new StringBuilder(ExportPipeline.csvLine(header)).append("\r\n");
        for (GenericRecord r : records) {
          List<String> cells = new ArrayList<>();
          SCHEMA.getFields().forEach(f -> cells.add(RecordText.cell(r.get(f.pos()), f.schema())));
          text.append(ExportPipeline.csvLine(cells)).append("\r\n");
        }
        Files.writeString(file, text);
        break;
      }
      default:
        throw new AssertionError(format);
    }
  }

  /** Loads the records into the table through --mode=load from one file of the format. */
  static void load(LocalStack stack, Path dir, Path schemaFile, String table, FileFormat format, List<GenericRecord> records)
      throws IOException {
    Path in = dir.resolve("in" + format.suffix);
    writeInput(in, format, records);
    run(common(stack, schemaFile, "--mode=load", "--table=" + table, "--loadFrom=" + in));
  }

  void loadThenExportGivesBackEveryRecord(LocalStack stack, Path dir, FileFormat format) throws Exception {
    String table = "batch_types_" + format.name().toLowerCase();
    Path schemaFile = schemaFile(dir);
    Path in = Files.createDirectories(dir.resolve("in"));
    List<GenericRecord> records = samples();
    writeInput(in.resolve("part-1" + format.suffix), format, records.subList(0, ROWS / 2));
    writeInput(in.resolve("part-2" + format.suffix), format, records.subList(ROWS / 2, ROWS));

    run(common(stack, schemaFile, "--mode=load", "--table=" + table, "--loadFrom=" + in + "/*" + format.suffix));
    try (CqlSession session = session(stack)) {
      assertThat(session.execute("SELECT count(*) FROM " + table).one().getLong(0)).isEqualTo(ROWS);
    }

    Path out = Files.createDirectories(dir.resolve("out"));
    run(common(stack, schemaFile, "--mode=export", "--table=" + table, "--exportSchema=" + schemaFile,
        "--fileFormat=" + format.name().toLowerCase(), "--exportTo=" + out + "/" + table, "--readSplits=16"));

    assertThat(json(readBack(out, format))).isEqualTo(json(records));
    assertThat(new Schema.Parser().parse(out.resolve(table + ".avsc").toFile())).isEqualTo(SCHEMA);
  }

  @Test
  void avroFilesLoadAndExportEqualForEveryType(LocalStack stack, @TempDir Path dir) throws Exception {
    loadThenExportGivesBackEveryRecord(stack, dir, FileFormat.AVRO);
  }

  @Test
  void jsonLinesLoadAndExportEqualForEveryType(LocalStack stack, @TempDir Path dir) throws Exception {
    loadThenExportGivesBackEveryRecord(stack, dir, FileFormat.JSONL);
  }

  @Test
  void csvLoadsAndExportsEqualForEveryType(LocalStack stack, @TempDir Path dir) throws Exception {
    loadThenExportGivesBackEveryRecord(stack, dir, FileFormat.CSV);
  }

  @Test
  void badLinesAreDeadLetteredWithLineNumberAndReasonWhileTheRestLoads(LocalStack stack, @TempDir Path dir) throws Exception {
    Path schemaFile = schemaFile(dir);
    String good1 = RecordText.json(sample(1001)).toString();
    String good2 = RecordText.json(sample(1002)).toString();
    com.fasterxml.jackson.databind.node.ObjectNode wrongType = RecordText.json(sample(1003));
    wrongType.put("i", "not a number");
    com.fasterxml.jackson.databind.node.ObjectNode missing = RecordText.json(sample(1004));
    missing.remove("ts");
    com.fasterxml.jackson.databind.node.ObjectNode badEnum = RecordText.json(sample(1005));
    badEnum.put("en", "BLUE");
    com.fasterxml.jackson.databind.node.ObjectNode outOfRange = RecordText.json(sample(1006));
    outOfRange.put("ti", 1000); // parses as int, but a tinyint column cannot take it: dead-lettered by the writer
    String id = "bad-" + UUID.randomUUID();
    Path file = dir.resolve(id + ".jsonl");
    Files.writeString(file, String.join("\n", good1, "{not json", wrongType.toString(), "", missing.toString(),
        badEnum.toString(), outOfRange.toString(), good2) + "\n");

    run(common(stack, schemaFile, "--mode=load", "--table=batch_types_jsonl", "--loadFrom=" + file));

    try (CqlSession session = session(stack)) {
      assertThat(session.execute("SELECT id FROM batch_types_jsonl WHERE id IN ('row-1001', 'row-1002', 'row-1006')").all())
          .extracting(r -> r.getString("id")).containsExactlyInAnyOrder("row-1001", "row-1002");
      List<Row> dead = new ArrayList<>();
      for (LocalDate day : List.of(LocalDate.now(ZoneOffset.UTC), LocalDate.now(ZoneOffset.UTC).minusDays(1))) {
        session.execute("SELECT stage, error, payload, attributes, source FROM dead_letter WHERE day = ?", day)
            .forEach(r -> {
              if (r.getString("source") != null && r.getString("source").contains(id)) {
                dead.add(r);
              }
            });
      }
      // one dead letter per bad line, each naming its file, line and reason; blank line 4 is skipped, not an error
      java.util.Map<String, String> byLine = new TreeMap<>();
      dead.forEach(r -> byLine.put(r.getMap("attributes", String.class, String.class).get("load.line"),
          r.getString("stage") + " | " + r.getString("error")));
      assertThat(byLine).containsOnlyKeys("2", "3", "5", "6", "7");
      assertThat(byLine.get("2")).startsWith("parse | ").contains(id + ".jsonl:2: not JSON");
      assertThat(byLine.get("3")).contains(".jsonl:3: i: \"not a number\" is not a valid int");
      assertThat(byLine.get("5")).contains(".jsonl:5: ts: required field is missing");
      assertThat(byLine.get("6")).contains(".jsonl:6: en: \"BLUE\" is not one of [RED, GREEN]");
      // parsed fine, but the tinyint column cannot take 1000: the writer dead-letters it at the map stage
      assertThat(byLine.get("7")).startsWith("map | ").contains("ti").contains("1000");
      // the original bytes of a line that could not be parsed
      assertThat(dead).anySatisfy(r -> assertThat(StandardCharsets.UTF_8.decode(r.getByteBuffer("payload")).toString())
          .isEqualTo("{not json"));
    }
  }

  @Test
  void replaysATableIntoAPubsubTopicAsSingleObjectAvro(LocalStack stack, @TempDir Path dir) throws Exception {
    Path schemaFile = schemaFile(dir);
    List<GenericRecord> records = samples().subList(0, 100);
    load(stack, dir, schemaFile, "batch_types_topic", FileFormat.JSONL, records);

    try (dev.astrabridge.bridge.PubsubTestClient pubsub = new dev.astrabridge.bridge.PubsubTestClient(stack)) {
      String name = "export-" + UUID.randomUUID();
      String topic = pubsub.createTopic(name, name + "-sub");
      run(common(stack, schemaFile, "--mode=export", "--table=batch_types_topic", "--exportSchema=" + schemaFile,
          "--exportTo=pubsub:" + topic, "--payloadEncoding=single-object", "--pubsubRootUrl=" + pubsub.rootUrl(),
          "--project=" + stack.pubsubProject(),
          "--credentialFactoryClass=org.apache.beam.sdk.extensions.gcp.auth.NoopCredentialFactory"));

      org.apache.avro.message.BinaryMessageDecoder<GenericRecord> decoder =
          new org.apache.avro.message.BinaryMessageDecoder<>(GenericData.get(), SCHEMA);
      List<GenericRecord> received = new ArrayList<>();
      for (var m : pubsub.pull(pubsub.subscription(name + "-sub"), records.size(), 60, 3)) {
        received.add(decoder.decode(m.getData().toByteArray()));
        assertThat(m.getAttributesMap()).containsEntry("astra-bridge.export", stack.keyspace() + ".batch_types_topic");
      }
      assertThat(json(received)).isEqualTo(json(records));
    }
  }

  @Test
  void replaysATableIntoAnAstraStreamingTopic(LocalStack stack, @TempDir Path dir) throws Exception {
    Path schemaFile = schemaFile(dir);
    List<GenericRecord> records = samples().subList(100, 160);
    load(stack, dir, schemaFile, "batch_types_pulsar", FileFormat.AVRO, records);

    String topic = stack.pulsarTopic("ingest", "export-" + UUID.randomUUID().toString().substring(0, 8));
    try (org.apache.pulsar.client.api.PulsarClient client = org.apache.pulsar.client.api.PulsarClient.builder()
             .serviceUrl(stack.pulsarServiceUrlTls()).tlsTrustCertsFilePath(stack.caCert().toString())
             .authentication(org.apache.pulsar.client.api.AuthenticationFactory.token(stack::pulsarClientToken)).build();
         org.apache.pulsar.client.api.Consumer<byte[]> consumer = client.newConsumer().topic(topic).subscriptionName("check")
             .subscriptionInitialPosition(org.apache.pulsar.client.api.SubscriptionInitialPosition.Earliest).subscribe()) {
      run(common(stack, schemaFile, "--mode=export", "--table=batch_types_pulsar", "--exportSchema=" + schemaFile,
          "--exportTo=pulsar:" + topic, "--payloadEncoding=binary", "--pulsarServiceUrl=" + stack.pulsarServiceUrlTls(),
          "--pulsarToken=file:" + stack.pulsarClientTokenFile(), "--pulsarTlsTrustCerts=" + stack.caCert()));

      GenericDatumReader<GenericRecord> reader = new GenericDatumReader<>(SCHEMA);
      List<GenericRecord> received = new ArrayList<>();
      for (org.apache.pulsar.client.api.Message<byte[]> m = consumer.receive(10, java.util.concurrent.TimeUnit.SECONDS); m != null;
           m = consumer.receive(3, java.util.concurrent.TimeUnit.SECONDS)) {
        received.add(reader.read(null, org.apache.avro.io.DecoderFactory.get().binaryDecoder(m.getValue(), null)));
        assertThat(m.getProperty("astra-bridge.export")).isEqualTo(stack.keyspace() + ".batch_types_pulsar");
      }
      assertThat(json(received)).isEqualTo(json(records));
    }
  }
}
