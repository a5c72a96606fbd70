package dev.astrabridge.bridge.batch;

import dev.astrabridge.astradb.AstraDbIO;
import dev.astrabridge.astradb.decode.PayloadFormat;
import dev.astrabridge.bridge.deadletter.DeadLetterSink;
import dev.astrabridge.bridge.options.BridgeOptions;
import dev.astrabridge.bridge.options.Settings;
import dev.astrabridge.schemas.envelope.BridgeMessage;
import dev.astrabridge.schemas.envelope.DeadLetter;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * --mode=load: files → records → AstraDbIO.write(), in batch.
 *
 * <pre>
 *   "Load &lt;table&gt;"
 *     1. "Match files"         --loadFrom (local or gs://)
 *     2. "Read files"          FileIO.readMatches
 *     3. "Parse &lt;format&gt;"     lines/records → envelopes; unparsable → dead letter "file:line: reason"
 *     4. "Write to Astra DB"   the same decode/map/write (and dead letters) as ingest
 *     5. "Dead letters"        --deadLetter
 * </pre>
 */
public final class LoadPipeline {
  static final TupleTag<BridgeMessage> RECORDS = new TupleTag<BridgeMessage>() {};
  static final TupleTag<DeadLetter> UNPARSABLE = new TupleTag<DeadLetter>() {};

  public static void build(Pipeline pipeline, BridgeOptions options, Settings settings) {
    PCollectionTuple parsed = pipeline
        .apply("Match files", FileIO.match().filepattern(options.getLoadFrom()))
        .apply("Read files", FileIO.readMatches())
        .apply("Parse " + settings.fileFormat.name().toLowerCase(java.util.Locale.ROOT), ParDo.of(new ParseFilesFn(
            settings.fileFormat, settings.payloadFormat.readerSchema(), RECORDS, UNPARSABLE))
            .withOutputTags(RECORDS, TupleTagList.of(UNPARSABLE)));
    AstraDbIO.WriteResult written = parsed.get(RECORDS).setCoder(AvroCoder.of(BridgeMessage.class))
        .apply("Write to Astra DB", AstraDbIO.write()
            .withConnection(settings.astraDb)
            .withTable(options.getKeyspace(), options.getTable())
            .withPayloadFormat(PayloadFormat.avroBinary(settings.payloadFormat.readerSchema()))
            .withMapping(settings.mapping)
            .withConsistency(settings.consistency)
            .withFailurePolicy(settings.writeFailurePolicy)
            .withRetryTimeout(settings.writeRetryTimeout)
            .withDeleteFieldIfSet(options.getDeleteField()));
    PCollectionList.of(parsed.get(UNPARSABLE).setCoder(AvroCoder.of(DeadLetter.class))).and(written.getDeadLetters())
        .apply("All dead letters", Flatten.pCollections())
        .apply("Dead letters", new DeadLetterSink(settings.deadLetter, settings.pulsar, settings.astraDb));
  }

  private LoadPipeline() {}
}
