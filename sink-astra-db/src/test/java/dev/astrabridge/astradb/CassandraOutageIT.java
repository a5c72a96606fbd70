package dev.astrabridge.astradb;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import dev.astrabridge.astradb.decode.PayloadFormat;
import dev.astrabridge.astradb.mapping.MappingSpec;
import dev.astrabridge.localstack.LocalStack;
import dev.astrabridge.localstack.LocalStackExtension;
import dev.astrabridge.schemas.envelope.BridgeMessage;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.io.GenerateSequence;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.SimpleFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Cassandra is stopped for 20 s in the middle of a streaming write and started again: every row arrives exactly
 * once (idempotent writes retried with backoff; bundles finish only when acknowledged) and nothing is dead-lettered.
 */
@ExtendWith(LocalStackExtension.class)
class CassandraOutageIT {
  static final Schema SCHEMA = SinkTestSupport.schema(
      "{\"type\":\"record\",\"name\":\"Tick\",\"fields\":[{\"name\":\"run\",\"type\":\"string\"},{\"name\":\"seq\",\"type\":\"long\"}]}");
  static final int ROWS = 12_000; // 80 s at 150/s: longer than a slow start, whose backlog the generator emits at once

  static final class ToMessage extends SimpleFunction<Long, BridgeMessage> {
    private final String run;

    ToMessage(String run) {
      this.run = run;
    }

    @Override
    public BridgeMessage apply(Long seq) {
      GenericRecord r = new GenericData.Record(SCHEMA);
      r.put("run", run);
      r.put("seq", seq);
      return BridgeMessage.newBuilder().setPayload(ByteBuffer.wrap(SinkTestSupport.binary(r))).setKey(null)
          .setOrderingKey(null).setAttributes(Map.of()).setMessageId(run + "-" + seq)
          .setEventTime(java.time.Instant.now()).setPublishTime(null).setSource("generator").build();
    }
  }

  @Test
  void cassandraDownFor20SecondsLosesNothing(LocalStack stack) throws Exception {
    String run = UUID.randomUUID().toString();
    try (CqlSession session = SinkTestSupport.session(stack)) {
      session.execute("CREATE TABLE IF NOT EXISTS outage_it (run text, seq bigint, PRIMARY KEY ((run), seq))");
    }
    Pipeline pipeline = SinkTestSupport.pipeline();
    pipeline.getOptions().as(DirectOptions.class).setBlockOnRun(false);
    AstraDbIO.WriteResult result = pipeline
        .apply(GenerateSequence.from(0).to(ROWS).withRate(150, org.joda.time.Duration.standardSeconds(1)))
        .apply(MapElements.via(new ToMessage(run))).setCoder(AvroCoder.of(BridgeMessage.class))
        .apply(AstraDbIO.write().withConnection(SinkTestSupport.connection(stack))
            .withTable(stack.keyspace(), "outage_it").withPayloadFormat(PayloadFormat.avroBinary(SCHEMA))
            .withMapping(MappingSpec.auto()).withRetryTimeout(Duration.ofMinutes(5)));
    SinkTestSupport.collect(result.getDeadLetters(), "outage");
    PipelineResult running = pipeline.run();

    long before;
    try (CqlSession session = SinkTestSupport.session(stack)) {
      before = waitForRows(session, run, 500);
    }
    // when Cassandra goes away for 20 s mid-stream
    stack.stop("cassandra");
    Thread.sleep(20_000);
    stack.start("cassandra");
    PipelineResult.State state = running.waitUntilFinish(org.joda.time.Duration.standardMinutes(6));

    // then every row is there exactly once
    assertThat(state).isEqualTo(PipelineResult.State.DONE);
    assertThat(SinkTestSupport.collected("outage")).isEmpty();
    try (CqlSession session = SinkTestSupport.session(stack)) {
      long count = session.execute("SELECT COUNT(*) FROM outage_it WHERE run = ?", run).one().getLong(0);
      System.out.printf("outage: %d rows before the stop, %d after the restart (expected %d)%n", before, count, ROWS);
      assertThat(before).isLessThan(ROWS);
      assertThat(count).isEqualTo(ROWS);
    }
  }

  private static long waitForRows(CqlSession session, String run, long atLeast) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (System.nanoTime() < deadline) {
      long count = session.execute("SELECT COUNT(*) FROM outage_it WHERE run = ?", run).one().getLong(0);
      if (count >= atLeast) {
        return count;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("the pipeline wrote fewer than " + atLeast + " rows in 2 minutes");
  }
}
