package dev.astrabridge.bridge.batch;

import dev.astrabridge.astradb.AstraDbIO;
import dev.astrabridge.astradb.decode.PayloadFormat;
import dev.astrabridge.bridge.deadletter.DeadLetterSink;
import dev.astrabridge.bridge.metrics.StageMeters;
import dev.astrabridge.bridge.options.BridgeOptions;
import dev.astrabridge.bridge.options.Settings;
import dev.astrabridge.bridge.pubsub.PubsubConnection;
import dev.astrabridge.bridge.pubsub.PubsubWrite;
import dev.astrabridge.bridge.pulsar.AstraStreamingIO;
import dev.astrabridge.schemas.envelope.BridgeMessage;
import dev.astrabridge.schemas.envelope.DeadLetter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.Encoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.extensions.avro.io.AvroIO;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.apache.commons.csv.CSVFormat;

/**
 * --mode=export: AstraDbIO.read() (token-range splits) → Avro container files, JSON lines or CSV (local or gs://),
 * or a topic (Pub/Sub or Astra Streaming; payloads in --payloadEncoding), in batch.
 *
 * <pre>
 *   "Export &lt;table&gt;"
 *     1. "Read &lt;table&gt;"       AstraDbIO.read(): Ring → Split into token ranges → Spread splits → Read token ranges
 *     2a. "Write &lt;format&gt; files"
 *     2b. "To messages" → "Publish" / "Send", failures → "Dead letters"
 * </pre>
 */
public final class ExportPipeline {

  public static void build(Pipeline pipeline, BridgeOptions options, Settings settings) {
    AstraDbIO.Read read = AstraDbIO.read().withConnection(settings.astraDb)
        .withTable(options.getKeyspace(), options.getTable()).withConsistency(settings.readConsistency);
    if (options.getReadSplits() != null && options.getReadSplits() > 0) {
      read = read.withMinSplits(options.getReadSplits());
    }
    if (settings.exportSchema != null) {
      read = read.withSchema(settings.exportSchema);
    }
    Schema schema = read.outputSchema();
    PCollection<GenericRecord> records = pipeline.apply("Read " + options.getTable(), read.withSchema(schema));
    String target = options.getExportTo();
    int shards = options.getExportShards() == null ? 0 : options.getExportShards();
    if (target.startsWith("pubsub:") || target.startsWith("pulsar:")) {
      PayloadFormat.Encoding encoding = settings.payloadEncoding;
      PCollection<BridgeMessage> messages = records.apply("To messages",
              ParDo.of(new ToMessage(schema.toString(), encoding, options.getKeyspace() + "." + options.getTable())))
          .setCoder(AvroCoder.of(BridgeMessage.class));
      PCollection<DeadLetter> failed = target.startsWith("pubsub:")
          ? messages.apply("Publish", PubsubWrite.to(target.substring("pubsub:".length()))
              .withConnection(PubsubConnection.fromRootUrl(options.getPubsubRootUrl())).withOrdering(false)
              .withMeters(StageMeters.of("export", "export")))
          : messages.apply("Send", AstraStreamingIO.write().withConnection(settings.pulsar)
              .withTopic(target.substring("pulsar:".length())));
      failed.apply("Dead letters", new DeadLetterSink(settings.deadLetter, settings.pulsar, settings.astraDb));
      return;
    }
    writeSchemaFile(schema, target + ".avsc");
    switch (settings.fileFormat) {
      case AVRO: {
        AvroIO.Write<GenericRecord> write = AvroIO.writeGenericRecords(schema).to(target).withSuffix(".avro");
        records.apply("Write avro files", shards > 0 ? write.withNumShards(shards) : write);
        break;
      }
      case JSONL: {
        TextIO.Write write = TextIO.write().to(target).withSuffix(".jsonl");
        records.apply("To JSON", org.apache.beam.sdk.transforms.MapElements.into(TypeDescriptors.strings())
                .via((GenericRecord r) -> RecordText.json(r).toString()))
            .apply("Write jsonl files", shards > 0 ? write.withNumShards(shards) : write);
        break;
      }
      case CSV: {
        List<String> header = new ArrayList<>();
        schema.getFields().forEach(f -> header.add(f.name()));
        TextIO.Write write = TextIO.write().to(target).withSuffix(".csv").withHeader(csvLine(header));
        records.apply("To CSV", org.apache.beam.sdk.transforms.MapElements.into(TypeDescriptors.strings())
                .via((GenericRecord r) -> {
                  List<String> cells = new ArrayList<>();
                  for (Schema.Field f : r.getSchema().getFields()) {
                    cells.add(RecordText.cell(r.get(f.pos()), f.schema()));
                  }
                  return csvLine(cells);
                }))
            .apply("Write csv files", shards > 0 ? write.withNumShards(shards) : write);
        break;
      }
      default:
        throw new AssertionError(settings.fileFormat);
    }
  }

  /**
   * The records' schema next to the files (PREFIX.avsc): what a reader of JSON lines or CSV needs, and what
   * --mode=load takes as --schema to load the files back.
   */
  static void writeSchemaFile(Schema schema, String path) {
    try (java.nio.channels.WritableByteChannel out = org.apache.beam.sdk.io.FileSystems.create(
        org.apache.beam.sdk.io.FileSystems.matchNewResource(path, false), "application/json")) {
      out.write(java.nio.ByteBuffer.wrap(schema.toString(true).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    } catch (IOException e) {
      throw new IllegalArgumentException("--exportTo: cannot write the schema file " + path + ": " + e.getMessage(), e);
    }
  }

  /** One RFC 4180 line (quoted where needed), without the line break. */
  static String csvLine(List<String> cells) {
    try {
      StringWriter out = new StringWriter();
      CSVFormat.RFC4180.builder().setRecordSeparator("").get().printRecord(out, cells.toArray());
      return out.toString();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A record as a message whose payload is the record in the chosen Avro encoding. */
  static final class ToMessage extends DoFn<GenericRecord, BridgeMessage> {
    private static final long serialVersionUID = 1L;
    private final String schemaJson;
    private final PayloadFormat.Encoding encoding;
    private final String table;
    private transient Schema schema;
    private transient GenericDatumWriter<GenericRecord> writer;
    private transient BinaryMessageEncoder<GenericRecord> singleObject;

    ToMessage(String schemaJson, PayloadFormat.Encoding encoding, String table) {
      this.schemaJson = schemaJson;
      this.encoding = encoding;
      this.table = table;
    }

    @Setup
    public void setup() {
      schema = new Schema.Parser().parse(schemaJson);
      writer = new GenericDatumWriter<>(schema, new GenericData());
      singleObject = new BinaryMessageEncoder<>(new GenericData(), schema);
    }

    @ProcessElement
    public void process(@Element GenericRecord record, OutputReceiver<BridgeMessage> out) throws IOException {
      byte[] payload;
      if (encoding == PayloadFormat.Encoding.SINGLE_OBJECT) {
        ByteBuffer b = singleObject.encode(record);
        payload = new byte[b.remaining()];
        b.get(payload);
      } else {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Encoder encoder = encoding == PayloadFormat.Encoding.JSON ? EncoderFactory.get().jsonEncoder(schema, bytes)
            : EncoderFactory.get().binaryEncoder(bytes, null);
        writer.write(record, encoder);
        encoder.flush();
        payload = bytes.toByteArray();
      }
      Instant now = Instant.now();
      out.output(BridgeMessage.newBuilder().setPayload(ByteBuffer.wrap(payload)).setKey(null).setOrderingKey(null)
          .setAttributes(Map.of("astra-bridge.export", table)).setMessageId(null).setEventTime(now).setPublishTime(now)
          .setSource("astradb:" + table).build());
    }
  }

  private ExportPipeline() {}
}
