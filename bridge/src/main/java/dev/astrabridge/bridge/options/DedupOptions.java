package dev.astrabridge.bridge.options;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** Deduplication. */
public interface DedupOptions extends PipelineOptions {
  @Description("Deduplicate by: none, message-id (Pub/Sub id or id attribute, Pulsar message id), key, attribute:NAME"
      + " or field:PATH (a record field, e.g. field:order_id)")
  @Default.String("message-id")
  @TemplateRegex("^(none|message-id|key|attribute:.+|field:.+)$")
  String getDedupBy();

  void setDedupBy(String value);

  @Description("How long a seen id is remembered (processing time), bounding the state, e.g. 10m")
  @Default.String("10m")
  @TemplateRegex("^(\\d+(ms|s|m|h|d)|P[0-9A-Z.]+)$")
  String getDedupDuration();

  void setDedupDuration(String value);
}
