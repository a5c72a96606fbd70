package dev.astrabridge.bridge.options;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** Micrometer / Prometheus, and where Beam metrics go on Flink. */
public interface MetricsOptions extends PipelineOptions {
  @Description("Port of the Prometheus scrape endpoint (/metrics) on each worker; 0: off (Dataflow has its own"
      + " monitoring)")
  @Default.Integer(0)
  Integer getPrometheusPort();

  void setPrometheusPort(Integer value);

  @Description("Flink runner, streaming jobs: also report the Beam counters to Flink's metric system (Flink UI/REST)."
      + " Off by default: the runner then recomputes the source's metric results after every element it reads"
      + " (measured: a fifth of a mirror task thread's CPU). The same counters are on --prometheusPort either way;"
      + " batch jobs and other runners always report Beam metrics")
  @Default.Boolean(false)
  Boolean getFlinkBeamMetrics();

  void setFlinkBeamMetrics(Boolean value);
}
