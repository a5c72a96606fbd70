package dev.astrabridge.bridge.options;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** Where records that cannot be decoded, mapped, written or that came too late go. */
public interface DeadLetterOptions extends PipelineOptions {
  @Description("Dead-letter destination: pubsub:projects/P/topics/T, pulsar:persistent://tenant/ns/topic,"
      + " cassandra:keyspace.table (columns of schemas/src/main/cql/030-dead-letter.cql) or log")
  @Default.String("log")
  @TemplateRegex("^(log|pubsub:projects/[^/]+/topics/[^/]+|pulsar:(persistent|non-persistent)://[^/]+/[^/]+/.+|cassandra:[\\w\"]+\\.[\\w\"]+)$")
  String getDeadLetter();

  void setDeadLetter(String value);
}
