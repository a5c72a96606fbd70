package dev.astrabridge.bridge.ingest;

import dev.astrabridge.astradb.AstraDbIO;
import dev.astrabridge.bridge.deadletter.DeadLetterSink;
import dev.astrabridge.bridge.metrics.StageMeters;
import dev.astrabridge.bridge.options.BridgeOptions;
import dev.astrabridge.bridge.options.Settings;
import dev.astrabridge.bridge.pubsub.PubsubRead;
import dev.astrabridge.bridge.pulsar.AstraStreamingIO;
import dev.astrabridge.schemas.envelope.BridgeMessage;
import dev.astrabridge.schemas.envelope.DeadLetter;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * The ingest job: a topic of Avro events into Astra DB.
 *
 * <pre>
 * Steps (stable names: Dataflow's update compatibility depends on them)
 *   1. "Read from Astra Streaming" | "Read from Pub/Sub"  → envelopes (payload untouched, ids, event time)
 *   2. "Dead-letter late events"   events behind the watermark by more than their window + allowed lateness
 *   3. "Deduplicate"               first message per id in the dedup scope (ids kept per shard of the id space);
 *                                  the others counted, dropped
 *   4. "Write to Astra DB"         decode → map → idempotent write (write-time = event time)
 *   5. "Rollups"                   optional per-window aggregates, overwritten per pane
 *   6. "Dead letters"              decode/map/write failures and late events → --deadLetter
 * </pre>
 */
public final class IngestPipeline {
  /** Shards of the late-data filter's watermark probe. */
  static final int LATE_FILTER_SHARDS = 16;

  public static void build(Pipeline pipeline, BridgeOptions options, Settings settings) {
    List<PCollection<DeadLetter>> deadLetters = new ArrayList<>();
    StageMeters meters = meters(options, settings);

    // 1. Read
    // (--prometheusPort: the envelope step's meters start each worker's endpoint before their first update)
    PCollection<BridgeMessage> messages = read(pipeline, options, settings, meters, deadLetters);

    // 2. Late events (only windowed jobs have a notion of late)
    if (settings.windowType != Settings.WindowType.NONE) {
      TupleTag<DeadLetter> lateTag = new TupleTag<DeadLetter>("late") {};
      PCollectionTuple split = messages
          .apply("Shard for late check", MapElements.into(TypeDescriptors.kvs(TypeDescriptors.integers(),
                  org.apache.beam.sdk.values.TypeDescriptor.of(BridgeMessage.class)))
              .via(m -> KV.of(Math.floorMod(String.valueOf(m.getMessageId()).hashCode(), LATE_FILTER_SHARDS), m)))
          .setCoder(KvCoder.of(VarIntCoder.of(), AvroCoder.of(BridgeMessage.class)))
          .apply("Dead-letter late events", ParDo.of(new LateDataFilter(new LateDataFilter.Windows(settings.windowType,
                  settings.windowSize, settings.windowPeriod, settings.allowedLateness), lateTag, meters))
              .withOutputTags(LateDataFilter.mainTag(), TupleTagList.of(lateTag)));
      messages = split.get(LateDataFilter.mainTag()).setCoder(AvroCoder.of(BridgeMessage.class));
      deadLetters.add(split.get(lateTag).setCoder(AvroCoder.of(DeadLetter.class)));
    }

    // 3. Deduplicate: within the event-time window for fixed windows, else for --dedupDuration of processing time.
    // The window is part of the id, not the step's windowing: a stateful step in fixed windows holds its output
    // watermark at each window's end until the window's state expires (end + allowed lateness), so the rollup
    // windows after it would close --allowedLateness late
    if (settings.dedupBy != Settings.DedupBy.NONE) {
      PCollection<KV<String, BridgeMessage>> ids = messages
          .apply("Dedup id", ParDo.of(new DedupKeys(settings.dedupBy, settings.dedupName, settings.payloadFormat, meters)))
          .setCoder(KvCoder.of(StringUtf8Coder.of(), AvroCoder.of(BridgeMessage.class)));
      if (settings.windowType == Settings.WindowType.FIXED) {
        ids = ids.apply("Dedup scope", ParDo.of(new DedupKeys.InFixedWindow(settings.windowSize)))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), AvroCoder.of(BridgeMessage.class)));
      }
      messages = ids
          .apply("Dedup shard", MapElements.into(TypeDescriptors.kvs(TypeDescriptors.integers(),
                  TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptor.of(BridgeMessage.class))))
              .via((KV<String, BridgeMessage> kv) -> KV.of(DedupFn.shardOf(kv.getKey()), kv)))
          .setCoder(KvCoder.of(VarIntCoder.of(), KvCoder.of(StringUtf8Coder.of(), AvroCoder.of(BridgeMessage.class))))
          .apply("Deduplicate", ParDo.of(new DedupFn(settings.dedupDuration, meters)))
          .setCoder(AvroCoder.of(BridgeMessage.class));
    }

    // 4. Write rows
    AstraDbIO.WriteResult written = messages.apply("Write to Astra DB", AstraDbIO.write()
        .withConnection(settings.astraDb)
        .withTable(options.getKeyspace(), options.getTable())
        .withPayloadFormat(settings.payloadFormat)
        .withMapping(settings.mapping)
        .withConsistency(settings.consistency)
        .withFailurePolicy(settings.writeFailurePolicy)
        .withRetryTimeout(settings.writeRetryTimeout)
        .withDeleteFieldIfSet(options.getDeleteField()));
    deadLetters.add(written.getDeadLetters());

    // 5. Rollups
    if (options.getRollupTable() != null) {
      deadLetters.add(messages.apply("Rollups", new Rollups(options, settings)));
    }

    // 6. Dead letters
    List<PCollection<DeadLetter>> global = new ArrayList<>();
    for (int i = 0; i < deadLetters.size(); i++) {
      // one windowing and trigger for all (the rollups' dead letters come windowed and triggered)
      global.add(deadLetters.get(i).apply("Unwindow dead letters " + (i + 1), Window.<DeadLetter>into(new GlobalWindows())
          .triggering(org.apache.beam.sdk.transforms.windowing.DefaultTrigger.of()).discardingFiredPanes()
          .withAllowedLateness(org.joda.time.Duration.ZERO)));
    }
    PCollectionList.of(global).apply("All dead letters", Flatten.pCollections())
        .apply("Dead letters", new DeadLetterSink(settings.deadLetter, settings.pulsar, settings.astraDb));
  }

  /**
   * The ingest steps' metrics (received, dedup_without_id, duplicates, late): Beam namespace {@code ingest},
   * Micrometer {@code ingest.*} tagged with the source. Decoding, writing and the event-time-to-write latency are
   * AstraDbIO's ({@code astradb:KEYSPACE.TABLE}, Micrometer {@code astradb.*} tagged with the table).
   */
  static StageMeters meters(BridgeOptions options, Settings settings) {
    String source = settings.source == Settings.Source.PULSAR
        ? "pulsar:" + (options.getPulsarTopicsPattern() != null ? options.getPulsarTopicsPattern()
            : String.join(",", options.getPulsarTopics()))
        : "pubsub:" + options.getPubsubSubscription();
    return StageMeters.of("ingest", "ingest", "source", source).withPrometheusPort(options.getPrometheusPort());
  }

  static PCollection<BridgeMessage> read(Pipeline pipeline, BridgeOptions options, Settings settings,
                                         StageMeters meters, List<PCollection<DeadLetter>> deadLetters) {
    if (settings.source == Settings.Source.PULSAR) {
      AstraStreamingIO.Read read = AstraStreamingIO.read().withConnection(settings.pulsar)
          .withSubscription(options.getPulsarSubscription())
          .withSubscriptionType(settings.subscriptionType)
          .withStartFromEarliest(settings.startFromEarliest)
          .withIdleTimeout(settings.pulsarIdleTimeout)
          .withSplitOnWorkers(settings.pulsarSplitOnWorkers);
      read = options.getPulsarTopicsPattern() != null ? read.withTopicsPattern(options.getPulsarTopicsPattern())
          : read.withTopics(options.getPulsarTopics());
      if (settings.startTimestamp != null) {
        read = read.withStartTimestamp(settings.startTimestamp);
      }
      return pipeline.apply("Read from Astra Streaming", read).apply("Envelope", AstraStreamingIO.toBridgeMessages(meters,
          settings.registeredSchema));
    }
    PubsubRead read = PubsubRead.fromSubscription(options.getPubsubSubscription())
        .withIdAttribute(options.getPubsubIdAttribute()).withIdleTimeout(settings.pubsubIdleTimeout);
    // not read.withTimestampAttribute(...): PubsubIO fails the source on a message without a valid attribute;
    // the envelope step reads it and dead-letters such a message instead
    PCollectionTuple envelopes = pipeline.apply("Read from Pub/Sub", read)
        .apply("Envelope", ParDo.of(new PubsubToEnvelope(options.getPubsubSubscription(),
            options.getPubsubTimestampAttribute(), meters))
            .withOutputTags(PubsubToEnvelope.ENVELOPES, TupleTagList.of(PubsubToEnvelope.BAD_TIMESTAMPS)));
    deadLetters.add(envelopes.get(PubsubToEnvelope.BAD_TIMESTAMPS).setCoder(AvroCoder.of(DeadLetter.class)));
    return envelopes.get(PubsubToEnvelope.ENVELOPES).setCoder(AvroCoder.of(BridgeMessage.class));
  }

  private IngestPipeline() {}
}
