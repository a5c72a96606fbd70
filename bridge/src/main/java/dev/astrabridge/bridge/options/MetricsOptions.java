package dev.astrabridge.bridge.options;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** Micrometer / Prometheus. */
public interface MetricsOptions extends PipelineOptions {
  @Description("Port of the Prometheus scrape endpoint (/metrics) on each worker; 0: off (Dataflow has its own"
      + " monitoring)")
  @Default.Integer(0)
  Integer getPrometheusPort();

  void setPrometheusPort(Integer value);
}
