package dev.astrabridge.bridge.batch;

import dev.astrabridge.schemas.envelope.BridgeMessage;
import dev.astrabridge.schemas.envelope.DeadLetter;
import dev.astrabridge.schemas.envelope.DeadLetters;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.file.DataFileStream;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * Reads one file of records and emits each as an envelope carrying the record in Avro binary (what AstraDbIO.write()
 * then decodes, maps and writes), with {@code load.file} and {@code load.line} attributes. A line (or Avro record)
 * that cannot be parsed into the schema goes to the dead-letter output with its original bytes, stage "parse" and
 * "file:line: reason"; the rest of the file flows. Files are the unit of parallelism (a file is read by one worker,
 * front to back, which is what gives each line its number).
 */
public final class ParseFilesFn extends DoFn<FileIO.ReadableFile, BridgeMessage> {
  private static final long serialVersionUID = 1L;
  public static final String STAGE = "parse";

  private final FileFormat format;
  private final String schemaJson;
  private final TupleTag<BridgeMessage> records;
  private final TupleTag<DeadLetter> deadLetters;
  private final Counter parsed = Metrics.counter("load", "records");
  private final Counter bad = Metrics.counter("load", "parse_dead_lettered");
  private final Counter files = Metrics.counter("load", "files");

  private transient Schema schema;
  private transient GenericDatumWriter<GenericRecord> writer;
  private transient BinaryEncoder encoder;
  private transient ByteArrayOutputStream buffer;

  public ParseFilesFn(FileFormat format, Schema schema, TupleTag<BridgeMessage> records, TupleTag<DeadLetter> deadLetters) {
    this.format = format;
    this.records = records;
    this.schemaJson = schema.toString();
    this.deadLetters = deadLetters;
  }

  @Setup
  public void setup() {
    schema = new Schema.Parser().parse(schemaJson);
    writer = new GenericDatumWriter<>(schema, new GenericData());
    buffer = new ByteArrayOutputStream();
  }

  @ProcessElement
  public void processElement(@Element FileIO.ReadableFile file, MultiOutputReceiver out) throws IOException {
    String name = file.getMetadata().resourceId().toString();
    files.inc();
    switch (format) {
      case AVRO:
        readAvro(file, name, out);
        break;
      case JSONL:
        readLines(file, name, out);
        break;
      case CSV:
        readCsv(file, name, out);
        break;
      default:
        throw new AssertionError(format);
    }
  }

  private void readLines(FileIO.ReadableFile file, String name, MultiOutputReceiver out) throws IOException {
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(Channels.newInputStream(file.open()),
        StandardCharsets.UTF_8))) {
      long line = 0;
      for (String text = reader.readLine(); text != null; text = reader.readLine()) {
        line++;
        if (text.isBlank()) {
          continue;
        }
        try {
          emit(RecordText.record(RecordText.parseJson(text), schema), name, line, out);
        } catch (RecordText.BadValueException e) {
          deadLetter(text.getBytes(StandardCharsets.UTF_8), name, line, e.getMessage(), out);
        }
      }
    }
  }

  private void readCsv(FileIO.ReadableFile file, String name, MultiOutputReceiver out) throws IOException {
    CSVFormat csv = CSVFormat.RFC4180.builder().setHeader().setSkipHeaderRecord(true).setIgnoreEmptyLines(true).get();
    try (Reader reader = new InputStreamReader(Channels.newInputStream(file.open()), StandardCharsets.UTF_8);
         CSVParser parser = csv.parse(reader)) {
      Iterator<CSVRecord> it = parser.iterator();
      while (true) {
        CSVRecord row;
        try {
          if (!it.hasNext()) {
            break;
          }
          row = it.next();
        } catch (RuntimeException e) {
          // malformed CSV (an unclosed quote): the parser cannot go on past it
          deadLetter(new byte[0], name, parser.getCurrentLineNumber(), "malformed CSV, the rest of the file is not read: "
              + e.getMessage(), out);
          return;
        }
        long line = row.getRecordNumber() + 1;
        Map<String, String> cells = new LinkedHashMap<>(row.toMap());
        try {
          if (!row.isConsistent()) {
            throw new RecordText.BadValueException(row.size() + " cells where the header has "
                + parser.getHeaderNames().size());
          }
          emit(RecordText.record(cells, schema), name, line, out);
        } catch (RecordText.BadValueException e) {
          deadLetter(String.join(",", row.values()).getBytes(StandardCharsets.UTF_8), name, line, e.getMessage(), out);
        }
      }
    }
  }

  private void readAvro(FileIO.ReadableFile file, String name, MultiOutputReceiver out) throws IOException {
    try (InputStream in = Channels.newInputStream(file.open());
         DataFileStream<GenericRecord> stream = new DataFileStream<>(in, new GenericDatumReader<>(null, schema))) {
      long n = 0;
      while (true) {
        GenericRecord record;
        try {
          if (!stream.hasNext()) {
            break;
          }
          record = stream.next();
        } catch (RuntimeException e) {
          deadLetter(new byte[0], name, n + 1, "unreadable Avro record, the rest of the file is not read: "
              + DeadLetters.describe(e), out);
          return;
        }
        n++;
        emit(record, name, n, out);
      }
    } catch (IOException | RuntimeException e) {
      // the header: not an Avro container file, or its schema cannot be resolved to the job's schema
      deadLetter(new byte[0], name, 0, "not readable as an Avro container file of " + schema.getFullName() + ": "
          + DeadLetters.describe(e), out);
    }
  }

  private void emit(GenericRecord record, String file, long line, MultiOutputReceiver out) throws IOException {
    buffer.reset();
    encoder = EncoderFactory.get().binaryEncoder(buffer, encoder);
    writer.write(record, encoder);
    encoder.flush();
    out.get(records).output(message(buffer.toByteArray(), file, line));
    parsed.inc();
  }

  private BridgeMessage message(byte[] payload, String file, long line) {
    Instant now = Instant.now();
    Map<String, String> attributes = Map.of("load.file", file, "load.line", Long.toString(line));
    return BridgeMessage.newBuilder().setPayload(ByteBuffer.wrap(payload)).setKey(null).setOrderingKey(null)
        .setAttributes(attributes).setMessageId(file + ":" + line).setEventTime(now).setPublishTime(now)
        .setSource("file:" + file).build();
  }

  private void deadLetter(byte[] original, String file, long line, String reason, MultiOutputReceiver out) {
    bad.inc();
    out.get(deadLetters).output(DeadLetters.builder(message(original, file, line), STAGE, file + ":" + line + ": " + reason)
        .setTarget(schema.getFullName()).build());
  }
}
