package dev.astrabridge.bridge.options;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** The batch modes: load (files → table) and export (table → files or a topic). */
public interface BatchOptions extends PipelineOptions {
  @Description("load: the files to read, a path or glob, local or gs:// (e.g. gs://bucket/orders/*.jsonl)")
  @TemplateRegex("^(gs://.+|/.+)$")
  String getLoadFrom();

  void setLoadFrom(String value);

  @Description("export: a file prefix, local or gs:// (shards are PREFIX-00000-of-00004.avro ...), or a topic:"
      + " pubsub:projects/P/topics/T or pulsar:persistent://tenant/ns/topic")
  @TemplateRegex("^(gs://.+|/.+|pubsub:projects/[^/]+/topics/[^/]+|pulsar:(persistent|non-persistent)://[^/]+/[^/]+/.+)$")
  String getExportTo();

  void setExportTo(String value);

  @Description("File format: avro, jsonl or csv. load: from the files' extension when left out; export: avro by default")
  @TemplateRegex("^(avro|jsonl|json|ndjson|csv)$")
  String getFileFormat();

  void setFileFormat(String value);

  @Description("export: the records' schema, a schema of schemas/ by name or an .avsc file; left out: derived from the"
      + " table (fields named after the columns)")
  String getExportSchema();

  void setExportSchema(String value);

  @Description("export: at least this many token-range splits (0: 16, or the ring's range count if larger)")
  @Default.Integer(0)
  Integer getReadSplits();

  void setReadSplits(Integer value);

  @Description("export: read consistency, e.g. LOCAL_QUORUM (default) or LOCAL_ONE")
  @Default.String("LOCAL_QUORUM")
  @TemplateRegex("^(LOCAL_QUORUM|QUORUM|EACH_QUORUM|ALL|LOCAL_ONE|ONE|TWO|THREE|LOCAL_SERIAL|SERIAL)$")
  String getReadConsistency();

  void setReadConsistency(String value);

  @Description("export: number of output files (0: the runner decides)")
  @Default.Integer(0)
  Integer getExportShards();

  void setExportShards(Integer value);
}
