package dev.astrabridge.bridge.deadletter;

import dev.astrabridge.astradb.AstraDbIO;
import dev.astrabridge.astradb.connect.AstraDbConnection;
import dev.astrabridge.astradb.decode.PayloadFormat;
import dev.astrabridge.astradb.mapping.MappingSpec;
import dev.astrabridge.bridge.pubsub.PubsubLimits;
import dev.astrabridge.bridge.pulsar.AstraStreamingIO;
import dev.astrabridge.bridge.pulsar.PulsarConnection;
import dev.astrabridge.schemas.envelope.BridgeMessage;
import dev.astrabridge.schemas.envelope.DeadLetter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubIO;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubMessage;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubMessageWithAttributesCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes dead letters to their destination: a Pub/Sub topic or a Pulsar topic (the original payload untouched, the
 * original attributes plus {@code dl.stage}, {@code dl.error}, {@code dl.target}, {@code dl.failed_at},
 * {@code dl.message_id}, {@code dl.source}), a Cassandra table (schemas/src/main/cql/030-dead-letter.cql), or the
 * log (reason and ids, never the payload). A dead letter that cannot be delivered there is logged.
 */
public final class DeadLetterSink extends PTransform<PCollection<DeadLetter>, PDone> {
  private static final Logger LOG = LoggerFactory.getLogger(DeadLetterSink.class);
  /** Pub/Sub refuses attribute values over 1024 bytes. */
  static final int MAX_ATTRIBUTE_BYTES = 1024;
  /** Largest dead-letter row written to a Cassandra dead-letter table. */
  static final int DEAD_LETTER_MAX_ROW_BYTES = 8 * 1024 * 1024;

  private final String destination;
  private final PulsarConnection pulsar;
  private final AstraDbConnection astraDb;

  public DeadLetterSink(String destination, PulsarConnection pulsar, AstraDbConnection astraDb) {
    this.destination = destination;
    this.pulsar = pulsar;
    this.astraDb = astraDb;
  }

  @Override
  public PDone expand(PCollection<DeadLetter> deadLetters) {
    if (destination.startsWith("pubsub:")) {
      deadLetters.apply("To Pub/Sub messages", ParDo.of(new ToPubsub()))
          .setCoder(PubsubMessageWithAttributesCoder.of())
          .apply("Publish dead letters", PubsubIO.writeMessages().to(destination.substring("pubsub:".length())));
    } else if (destination.startsWith("pulsar:")) {
      if (pulsar == null) {
        throw new IllegalArgumentException("--deadLetter=" + destination + " needs the Pulsar connection options");
      }
      deadLetters.apply("To envelopes", ParDo.of(new ToEnvelope())).setCoder(AvroCoder.of(BridgeMessage.class))
          .apply("Send dead letters", AstraStreamingIO.write().withConnection(pulsar).withTopic(destination.substring("pulsar:".length())))
          .apply("Log undeliverable", ParDo.of(new Log()));
    } else if (destination.startsWith("cassandra:")) {
      String[] table = destination.substring("cassandra:".length()).split("\\.", 2);
      deadLetters.apply("Encode", ParDo.of(new Encode())).setCoder(AvroCoder.of(BridgeMessage.class))
          .apply("Write dead letters", AstraDbIO.write().withConnection(astraDb).withTable(table[0], table[1])
              .withPayloadFormat(PayloadFormat.avroBinary(DeadLetter.getClassSchema()))
              // a record dead-lettered for being over the data table's row limit must still fit here (Cassandra's
              // mutation limit is half the 32 MiB commit log segment); bigger ones are logged with their reason
              .withMaxRowBytes(DEAD_LETTER_MAX_ROW_BYTES)
              .withMapping(MappingSpec.parse("day = failed_at, failed_at = now(), stage = stage, source = message.source,"
                  + " message_id = message.message_id, error = error, payload = message.payload,"
                  + " attributes = message.attributes")))
          .getDeadLetters().apply("Log undeliverable", ParDo.of(new Log()));
    } else {
      deadLetters.apply("Log dead letters", ParDo.of(new Log()));
    }
    return PDone.in(deadLetters.getPipeline());
  }

  static Map<String, String> attributes(DeadLetter d) {
    Map<String, String> attributes = new HashMap<>(d.getMessage().getAttributes() == null ? Map.of() : d.getMessage().getAttributes());
    attributes.putAll(deadLetterAttributes(d));
    return attributes;
  }

  /** What the dead letter adds: dl.stage, dl.error, dl.failed_at and, when known, dl.target, dl.message_id, dl.source. */
  static Map<String, String> deadLetterAttributes(DeadLetter d) {
    Map<String, String> attributes = new HashMap<>();
    attributes.put("dl.stage", d.getStage());
    attributes.put("dl.error", truncate(d.getError()));
    attributes.put("dl.failed_at", d.getFailedAt().toString());
    if (d.getTarget() != null) {
      attributes.put("dl.target", truncate(d.getTarget()));
    }
    if (d.getMessage().getMessageId() != null) {
      attributes.put("dl.message_id", truncate(d.getMessage().getMessageId()));
    }
    if (d.getMessage().getSource() != null) {
      attributes.put("dl.source", truncate(d.getMessage().getSource()));
    }
    return attributes;
  }

  static String truncate(String value) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    if (bytes.length <= MAX_ATTRIBUTE_BYTES) {
      return value;
    }
    return new String(bytes, 0, MAX_ATTRIBUTE_BYTES - 3, StandardCharsets.UTF_8).replaceAll("\uFFFD$", "") + "...";
  }

  static byte[] bytes(ByteBuffer buffer) {
    byte[] out = new byte[buffer.remaining()];
    buffer.duplicate().get(out);
    return out;
  }

  /**
   * The original payload with the original attributes plus the dl.* ones; when those do not fit a Pub/Sub message
   * (a message dead-lettered for carrying over 100 attributes, an attribute too long, a payload near 10 MB) the whole
   * dead letter is published instead as an Avro record in single-object encoding (schemas/ DeadLetter.avsc), marked
   * {@code dl.encoding}, so nothing of it is lost and the publish cannot fail the pipeline. Over 10 MB even so: logged.
   */
  static final class ToPubsub extends DoFn<DeadLetter, PubsubMessage> {
    static final String ENCODING = "dl.encoding";
    static final String AVRO_RECORD = "avro-single-object:" + DeadLetter.getClassSchema().getFullName();

    @ProcessElement
    public void process(@Element DeadLetter d, OutputReceiver<PubsubMessage> out) throws IOException {
      byte[] payload = bytes(d.getMessage().getPayload());
      Map<String, String> attributes = attributes(d);
      String unfit = PubsubLimits.violation(payload.length, attributes, null);
      if (unfit == null) {
        out.output(new PubsubMessage(payload, attributes));
        return;
      }
      byte[] record = bytes(d.toByteBuffer());
      Map<String, String> own = deadLetterAttributes(d);
      own.put(ENCODING, AVRO_RECORD);
      own.put("dl.unfit", truncate(unfit));
      String stillUnfit = PubsubLimits.violation(record.length, own, null);
      if (stillUnfit == null) {
        out.output(new PubsubMessage(record, own));
      } else {
        LOG.error("dead letter not deliverable to Pub/Sub ({}): stage={} error={} message_id={} source={}", stillUnfit,
            d.getStage(), d.getError(), d.getMessage().getMessageId(), d.getMessage().getSource());
      }
    }
  }

  static final class ToEnvelope extends DoFn<DeadLetter, BridgeMessage> {
    @ProcessElement
    public void process(@Element DeadLetter d, OutputReceiver<BridgeMessage> out) {
      BridgeMessage m = BridgeMessage.newBuilder(d.getMessage()).setAttributes(attributes(d)).build();
      out.output(m);
    }
  }

  static final class Encode extends DoFn<DeadLetter, BridgeMessage> {
    private transient SpecificDatumWriter<DeadLetter> writer;

    @Setup
    public void setup() {
      writer = new SpecificDatumWriter<>(DeadLetter.class);
    }

    @ProcessElement
    public void process(@Element DeadLetter d, OutputReceiver<BridgeMessage> out) {
      try {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(bytes, null);
        writer.write(d, encoder);
        encoder.flush();
        out.output(BridgeMessage.newBuilder().setPayload(ByteBuffer.wrap(bytes.toByteArray())).setKey(null)
            .setOrderingKey(null).setAttributes(Map.of()).setMessageId(d.getMessage().getMessageId())
            .setEventTime(d.getFailedAt()).setPublishTime(null).setSource("dead-letter").build());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  static final class Log extends DoFn<DeadLetter, Void> {
    @ProcessElement
    public void process(@Element DeadLetter d) {
      LOG.warn("dead letter [{}] {} (message {} from {}, target {}): {}", d.getStage(),
          (d.getMessage().getPayload() == null ? 0 : d.getMessage().getPayload().remaining()) + " bytes",
          d.getMessage().getMessageId(), d.getMessage().getSource(), d.getTarget(), d.getError());
    }
  }
}
