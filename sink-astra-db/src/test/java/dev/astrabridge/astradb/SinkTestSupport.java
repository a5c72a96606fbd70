package dev.astrabridge.astradb;

import com.datastax.oss.driver.api.core.CqlSession;
import dev.astrabridge.astradb.connect.AstraDbConnection;
import dev.astrabridge.astradb.connect.SecretRef;
import dev.astrabridge.localstack.LocalStack;
import dev.astrabridge.schemas.envelope.BridgeMessage;
import dev.astrabridge.schemas.envelope.DeadLetter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;

/** Shared by the sink's integration tests: sessions, pipelines, encoded messages, collected dead letters. */
final class SinkTestSupport {
  static final Map<String, List<DeadLetter>> COLLECTED = new ConcurrentHashMap<>();

  static CqlSession session(LocalStack stack) {
    return CqlSession.builder().addContactPoint(stack.cassandraContactPoint()).withLocalDatacenter(stack.cassandraLocalDc())
        .withAuthCredentials("token", stack.astraToken()).withKeyspace(stack.keyspace()).build();
  }

  /** The connection as a user configures it: contact point + the token by file reference. */
  static AstraDbConnection connection(LocalStack stack) {
    return AstraDbConnection.cassandra(List.of(stack.cassandraContactPoint().getHostString() + ":"
            + stack.cassandraContactPoint().getPort()), stack.cassandraLocalDc())
        .withCredentials("token", SecretRef.file(stack.astraTokenFile().toString()));
  }

  static Pipeline pipeline() {
    DirectOptions options = PipelineOptionsFactory.create().as(DirectOptions.class);
    options.setRunner(DirectRunner.class);
    options.setTargetParallelism(2);
    return Pipeline.create(options);
  }

  static PCollection<BridgeMessage> create(Pipeline pipeline, List<BridgeMessage> messages) {
    return pipeline.apply("Messages", Create.of(messages).withCoder(AvroCoder.of(BridgeMessage.class)));
  }

  static byte[] binary(GenericRecord record) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
      new GenericDatumWriter<GenericRecord>(record.getSchema(), new GenericData()).write(record, encoder);
      encoder.flush();
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] singleObject(GenericRecord record) {
    try {
      ByteBuffer buffer = new BinaryMessageEncoder<GenericRecord>(new GenericData(), record.getSchema()).encode(record);
      byte[] bytes = new byte[buffer.remaining()];
      buffer.get(bytes);
      return bytes;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static BridgeMessage message(byte[] payload, String id, Instant eventTime) {
    return BridgeMessage.newBuilder().setPayload(ByteBuffer.wrap(payload)).setKey(null).setOrderingKey(null)
        .setAttributes(Map.of()).setMessageId(id).setEventTime(eventTime).setPublishTime(eventTime)
        .setSource("test").build();
  }

  static Schema schema(String json) {
    return new Schema.Parser().parse(json);
  }

  /** Collects dead letters into {@link #COLLECTED} under {@code key} (DirectRunner: same JVM). */
  static void collect(PCollection<DeadLetter> deadLetters, String key) {
    COLLECTED.put(key, Collections.synchronizedList(new ArrayList<>()));
    deadLetters.apply("Collect " + key, ParDo.of(new DoFn<DeadLetter, Void>() {
      @ProcessElement
      public void process(@Element DeadLetter deadLetter) {
        COLLECTED.get(key).add(deadLetter);
      }
    }));
  }

  static List<DeadLetter> collected(String key) {
    return new ArrayList<>(COLLECTED.getOrDefault(key, List.of()));
  }

  private SinkTestSupport() {}
}
