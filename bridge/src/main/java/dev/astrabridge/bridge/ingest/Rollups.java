package dev.astrabridge.bridge.ingest;

import dev.astrabridge.astradb.AstraDbIO;
import dev.astrabridge.astradb.decode.DecodeException;
import dev.astrabridge.astradb.decode.PayloadDecoder;
import dev.astrabridge.astradb.decode.PayloadFormat;
import dev.astrabridge.astradb.mapping.MappingSpec;
import dev.astrabridge.bridge.options.BridgeOptions;
import dev.astrabridge.bridge.options.Settings;
import dev.astrabridge.schemas.envelope.BridgeMessage;
import dev.astrabridge.schemas.envelope.DeadLetter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.avro.Conversions;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.AfterPane;
import org.apache.beam.sdk.transforms.windowing.AfterProcessingTime;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.transforms.windowing.Sessions;
import org.apache.beam.sdk.transforms.windowing.SlidingWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.transforms.windowing.WindowFn;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;

/**
 * Per-window aggregates — count, and sum/min/max of each --rollupFields — by --rollupKeys, written to
 * --rollupTable with the keys and window_start as primary key. Panes accumulate and each pane's row carries the
 * pane's firing time as write-time, so an early, on-time or late re-firing overwrites the row instead of adding.
 */
public final class Rollups extends PTransform<PCollection<BridgeMessage>, PCollection<DeadLetter>> {
  private final BridgeOptions options;
  private final Settings settings;

  public Rollups(BridgeOptions options, Settings settings) {
    this.options = options;
    this.settings = settings;
  }

  /** The row schema of the rollup table: keys (text), window_start/end, count, then f_sum, f_min, f_max. */
  static Schema rowSchema(List<String> keys, List<String> fields) {
    SchemaBuilder.FieldAssembler<Schema> f = SchemaBuilder.record("Rollup").namespace("dev.astrabridge.rollup").fields();
    for (String key : keys) {
      f = f.name(column(key)).type().nullable().stringType().noDefault();
    }
    Schema millis = LogicalTypes.timestampMillis().addToSchema(Schema.create(Schema.Type.LONG));
    f = f.name("window_start").type(millis).noDefault().name("window_end").type(millis).noDefault()
        .name("count").type().longType().noDefault();
    for (String field : fields) {
      for (String agg : List.of("sum", "min", "max")) {
        f = f.name(column(field) + "_" + agg).type().nullable().doubleType().noDefault();
      }
    }
    return f.endRecord();
  }

  static String column(String path) {
    return path.substring(path.lastIndexOf('.') + 1);
  }

  @Override
  public PCollection<DeadLetter> expand(PCollection<BridgeMessage> messages) {
    List<String> keys = options.getRollupKeys();
    List<String> fields = options.getRollupFields() == null ? List.of() : options.getRollupFields();
    WindowFn<Object, ?> windowFn;
    switch (settings.windowType) {
      case SLIDING:
        windowFn = SlidingWindows.of(settings.windowSize).every(settings.windowPeriod);
        break;
      case SESSION:
        windowFn = Sessions.withGapDuration(settings.windowSize);
        break;
      default:
        windowFn = FixedWindows.of(settings.windowSize);
    }
    Schema rowSchema = rowSchema(keys, fields);
    return aggregate(messages, windowFn, settings.earlyFiring, settings.allowedLateness, settings.payloadFormat, keys, fields)
        .apply("Rollup rows", ParDo.of(new ToRow(rowSchema.toString(), fields.size())))
        .setCoder(AvroCoder.of(BridgeMessage.class))
        .apply("Write rollups", AstraDbIO.write().withConnection(settings.astraDb)
            .withTable(options.getKeyspace(), options.getRollupTable())
            .withPayloadFormat(PayloadFormat.avroBinary(rowSchema)).withMapping(MappingSpec.auto())
            .withConsistency(settings.consistency).withRetryTimeout(settings.writeRetryTimeout))
        .getDeadLetters();
  }

  /**
   * Windows, triggers (early firings every {@code earlyFiring} of processing time, the on-time pane, a late pane per
   * late event) and accumulating count/sum/min/max per key: one output per pane, each holding everything so far.
   */
  static PCollection<KV<List<String>, double[]>> aggregate(PCollection<BridgeMessage> messages, WindowFn<Object, ?> windowFn,
      org.joda.time.Duration earlyFiring, org.joda.time.Duration allowedLateness, PayloadFormat format, List<String> keys,
      List<String> fields) {
    return messages
        .apply("Rollup windows", Window.<BridgeMessage>into(windowFn)
            .triggering(AfterWatermark.pastEndOfWindow()
                .withEarlyFirings(AfterProcessingTime.pastFirstElementInPane().plusDelayOf(earlyFiring))
                .withLateFirings(AfterPane.elementCountAtLeast(1)))
            .withAllowedLateness(allowedLateness)
            .accumulatingFiredPanes())
        .apply("Rollup values", ParDo.of(new Extract(format, keys, fields)))
        .setCoder(KvCoder.of(ListCoder.of(NullableCoder.of(StringUtf8Coder.of())), SerializableCoder.of(double[].class)))
        .apply("Aggregate", Combine.perKey(new Aggregate(fields.size())));
  }

  /** Record → (key values, [field values]) ; NaN for a null field. Undecodable records are skipped here. */
  static final class Extract extends DoFn<BridgeMessage, KV<List<String>, double[]>> {
    private final PayloadFormat format;
    private final List<String> keys;
    private final List<String> fields;
    private transient PayloadDecoder decoder;

    Extract(PayloadFormat format, List<String> keys, List<String> fields) {
      this.format = format;
      this.keys = keys;
      this.fields = fields;
    }

    @Setup
    public void setup() {
      decoder = format.newDecoder();
    }

    @ProcessElement
    public void process(@Element BridgeMessage m, OutputReceiver<KV<List<String>, double[]>> out) {
      byte[] payload = new byte[m.getPayload().remaining()];
      m.getPayload().duplicate().get(payload);
      GenericRecord record;
      try {
        record = decoder.decode(payload, m.getAttributes());
      } catch (DecodeException e) {
        return; // the row write dead-letters it with the reason
      }
      List<String> keyValues = new ArrayList<>();
      for (String key : keys) {
        Object v = RecordPaths.get(record, key);
        keyValues.add(v == null ? null : v.toString());
      }
      double[] values = new double[fields.size()];
      for (int i = 0; i < values.length; i++) {
        values[i] = number(record, fields.get(i));
      }
      out.output(KV.of(keyValues, values));
    }

    static double number(GenericRecord record, String path) {
      Object value = RecordPaths.get(record, path);
      Schema schema = RecordPaths.schema(record, path);
      if (value == null || schema == null) {
        return Double.NaN;
      }
      if (value instanceof Number) {
        return ((Number) value).doubleValue();
      }
      if (schema.getType() == Schema.Type.UNION) {
        schema = schema.getTypes().stream().filter(s -> s.getType() != Schema.Type.NULL).findFirst().orElse(schema);
      }
      if (schema.getLogicalType() instanceof LogicalTypes.Decimal) {
        BigDecimal d = value instanceof ByteBuffer
            ? new Conversions.DecimalConversion().fromBytes(((ByteBuffer) value).duplicate(), schema, schema.getLogicalType())
            : new Conversions.DecimalConversion().fromFixed((GenericFixed) value, schema, schema.getLogicalType());
        return d.doubleValue();
      }
      return Double.NaN;
    }
  }

  /** count, then sum/min/max per field. */
  static final class Aggregate extends Combine.CombineFn<double[], double[], double[]> {
    private final int n;

    Aggregate(int n) {
      this.n = n;
    }

    @Override
    public double[] createAccumulator() {
      double[] acc = new double[1 + 3 * n];
      for (int i = 0; i < n; i++) {
        acc[1 + 3 * i] = Double.NaN;
        acc[2 + 3 * i] = Double.NaN;
        acc[3 + 3 * i] = Double.NaN;
      }
      return acc;
    }

    @Override
    public double[] addInput(double[] acc, double[] in) {
      acc[0]++;
      for (int i = 0; i < n; i++) {
        if (!Double.isNaN(in[i])) {
          acc[1 + 3 * i] = Double.isNaN(acc[1 + 3 * i]) ? in[i] : acc[1 + 3 * i] + in[i];
          acc[2 + 3 * i] = Double.isNaN(acc[2 + 3 * i]) ? in[i] : Math.min(acc[2 + 3 * i], in[i]);
          acc[3 + 3 * i] = Double.isNaN(acc[3 + 3 * i]) ? in[i] : Math.max(acc[3 + 3 * i], in[i]);
        }
      }
      return acc;
    }

    @Override
    public double[] mergeAccumulators(Iterable<double[]> accs) {
      double[] out = createAccumulator();
      for (double[] a : accs) {
        out[0] += a[0];
        for (int i = 0; i < n; i++) {
          for (int k = 1; k <= 3; k++) {
            double x = a[k + 3 * i];
            double y = out[k + 3 * i];
            if (!Double.isNaN(x)) {
              out[k + 3 * i] = Double.isNaN(y) ? x : k == 1 ? x + y : k == 2 ? Math.min(x, y) : Math.max(x, y);
            }
          }
        }
      }
      return out;
    }

    @Override
    public double[] extractOutput(double[] acc) {
      return Arrays.copyOf(acc, acc.length);
    }

    @Override
    public org.apache.beam.sdk.coders.Coder<double[]> getAccumulatorCoder(org.apache.beam.sdk.coders.CoderRegistry r,
        org.apache.beam.sdk.coders.Coder<double[]> in) {
      return SerializableCoder.of(double[].class);
    }
  }

  /** One rollup row per pane; write-time = the pane's firing time, so later panes overwrite earlier ones. */
  static final class ToRow extends DoFn<KV<List<String>, double[]>, BridgeMessage> {
    private final String schemaJson;
    private final int n;
    private transient Schema schema;
    private transient GenericDatumWriter<GenericRecord> writer;

    ToRow(String schemaJson, int n) {
      this.schemaJson = schemaJson;
      this.n = n;
    }

    @Setup
    public void setup() {
      schema = new Schema.Parser().parse(schemaJson);
      writer = new GenericDatumWriter<>(schema);
    }

    @ProcessElement
    public void process(@Element KV<List<String>, double[]> kv, org.apache.beam.sdk.transforms.windowing.BoundedWindow window,
                        OutputReceiver<BridgeMessage> out) {
      IntervalWindow w = (IntervalWindow) window;
      GenericRecord row = new GenericData.Record(schema);
      int f = 0;
      for (String value : kv.getKey()) {
        row.put(f++, value);
      }
      row.put("window_start", w.start().getMillis());
      row.put("window_end", w.end().getMillis());
      double[] acc = kv.getValue();
      row.put("count", (long) acc[0]);
      int column = f + 3;
      for (int i = 0; i < n; i++) {
        for (int k = 1; k <= 3; k++) {
          double v = acc[k + 3 * i];
          row.put(column++, Double.isNaN(v) ? null : v);
        }
      }
      try {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(bytes, null);
        writer.write(row, encoder);
        encoder.flush();
        out.output(BridgeMessage.newBuilder().setPayload(ByteBuffer.wrap(bytes.toByteArray())).setKey(null)
            .setOrderingKey(null).setAttributes(Map.of()).setMessageId(null)
            .setEventTime(java.time.Instant.now()).setPublishTime(null).setSource("rollup").build());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

}
