package dev.astrabridge.bridge.options;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.StreamingOptions;

/** All options of the bridge, composed from one small interface per capability. */
public interface BridgeOptions extends PulsarOptions, PubsubSourceOptions, AstraDbOptions, PayloadOptions,
    WindowingOptions, DedupOptions, DeadLetterOptions, MetricsOptions, MirrorOptions, BatchOptions, StreamingOptions {

  @Description("What the job does: ingest (a topic into Astra DB, streaming), mirror (Pub/Sub <-> Astra Streaming,"
      + " streaming), load (files into Astra DB, batch) or export (a table to files or a topic, batch)")
  @Default.String("ingest")
  @TemplateRegex("^(ingest|mirror|load|export)$")
  String getMode();

  void setMode(String value);

  @Description("Where ingest reads from: pulsar (Astra Streaming) or pubsub")
  @Default.String("pulsar")
  @TemplateRegex("^(pulsar|pubsub)$")
  String getSource();

  void setSource(String value);
}
