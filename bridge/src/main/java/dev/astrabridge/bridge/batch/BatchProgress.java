package dev.astrabridge.bridge.batch;

import dev.astrabridge.bridge.options.BridgeOptions;
import java.util.Locale;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.joda.time.Duration;

/** A progress line every two seconds while a load or export runs, then a summary; from the job's Beam counters. */
public final class BatchProgress {

  /** Follows the job to its end; true if it finished successfully. */
  public static boolean follow(PipelineResult result, BridgeOptions options) {
    boolean load = "load".equalsIgnoreCase(options.getMode());
    long start = System.nanoTime();
    PipelineResult.State state = result.getState();
    while (!state.isTerminal()) {
      state = result.waitUntilFinish(Duration.standardSeconds(2));
      if (state == null) {
        state = result.getState();
      }
      System.out.println(line(result, load, start, state.isTerminal() ? "done" : "running"));
    }
    System.out.println("[" + options.getMode() + "] " + state + " — " + line(result, load, start, "summary"));
    return state == PipelineResult.State.DONE;
  }

  static String line(PipelineResult result, boolean load, long startNanos, String phase) {
    double seconds = Math.max(0.001, (System.nanoTime() - startNanos) / 1e9);
    MetricQueryResults metrics;
    try {
      metrics = result.metrics().queryMetrics(MetricsFilter.builder().build());
    } catch (RuntimeException e) {
      return String.format(Locale.ROOT, "%s %.0f s (metrics unavailable: %s)", phase, seconds, e.getMessage());
    }
    if (load) {
      long parsed = sum(metrics, "load", "records");
      long written = sumSuffix(metrics, "astradb:", "rows_written");
      long dead = sum(metrics, "load", "parse_dead_lettered") + sumSuffix(metrics, "astradb:", "dead_lettered");
      return String.format(Locale.ROOT, "%s %.0f s: files %d, records parsed %d, rows written %d (%.0f rows/s),"
          + " dead-lettered %d", phase, seconds, sum(metrics, "load", "files"), parsed, written, written / seconds, dead);
    }
    long rows = sum(metrics, "astradb.read", "rows");
    return String.format(Locale.ROOT, "%s %.0f s: token ranges %d/%d, rows read %d (%.0f rows/s)", phase, seconds,
        sum(metrics, "astradb.read", "splits_done"), sum(metrics, "astradb.read", "splits"), rows, rows / seconds);
  }

  private static long sum(MetricQueryResults metrics, String namespace, String name) {
    return sum(metrics, namespace::equals, name);
  }

  /** Summed over every namespace starting with the prefix, e.g. astradb:&lt;each table&gt;. */
  private static long sumSuffix(MetricQueryResults metrics, String namespacePrefix, String name) {
    return sum(metrics, ns -> ns.startsWith(namespacePrefix), name);
  }

  private static long sum(MetricQueryResults metrics, java.util.function.Predicate<String> namespace, String name) {
    long total = 0;
    for (MetricResult<Long> c : metrics.getCounters()) {
      if (namespace.test(c.getName().getNamespace()) && c.getName().getName().equals(name)) {
        total += value(c);
      }
    }
    return total;
  }

  private static long value(MetricResult<Long> c) {
    try {
      return c.getCommitted();
    } catch (UnsupportedOperationException e) {
      return c.getAttempted();
    }
  }

  private BatchProgress() {}
}
