package dev.astrabridge.bridge.metrics;

import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Distribution;
import org.apache.beam.sdk.metrics.Metrics;

/**
 * The metrics of one stage, recorded twice: as Beam counters/distributions (namespace {@link #namespace}; what the
 * Dataflow and Flink UIs show, aggregated over workers) and as Micrometer meters in the global registry named
 * {@code PREFIX.NAME} with this stage's tags (what {@link PrometheusEndpoint} exposes on non-Dataflow runners, e.g.
 * {@code mirror_relayed_total{direction="pulsar-to-pubsub",route="orders->orders-topic"}}).
 *
 * <p>Beam metrics may only be updated on a DoFn's own thread (processElement, finishBundle): call these from there,
 * never from a client's callback thread. Instances are serializable and are made where the pipeline is built.
 */
public final class StageMeters implements Serializable {
  private static final long serialVersionUID = 1L;
  private final String namespace;
  private final String prefix;
  private final String[] tags;
  private final int prometheusPort;

  /**
   * @param namespace Beam metrics namespace, e.g. {@code mirror.pubsub-to-pulsar}
   * @param prefix Micrometer meter name prefix, e.g. {@code mirror}
   * @param tags Micrometer tags as key, value pairs
   */
  public static StageMeters of(String namespace, String prefix, String... tags) {
    if (tags.length % 2 != 0) {
      throw new IllegalArgumentException("tags come in key, value pairs: " + Arrays.toString(tags));
    }
    return new StageMeters(namespace, prefix, tags.clone(), 0);
  }

  private StageMeters(String namespace, String prefix, String[] tags, int prometheusPort) {
    this.namespace = Objects.requireNonNull(namespace);
    this.prefix = Objects.requireNonNull(prefix);
    this.tags = tags;
    this.prometheusPort = prometheusPort;
  }

  /**
   * Expose these meters on this port ({@link PrometheusEndpoint}, one per worker JVM; null or 0: not exposed). The
   * endpoint starts before a meter's first update, so nothing counted before the endpoint existed is missing from it.
   */
  public StageMeters withPrometheusPort(Integer port) {
    return new StageMeters(namespace, prefix, tags, port == null ? 0 : port);
  }

  public String namespace() {
    return namespace;
  }

  /** A counter of this stage; the Micrometer twin is {@code PREFIX.NAME} (Prometheus: {@code PREFIX_NAME_total}). */
  public Count counter(String name) {
    return new Count(Metrics.counter(namespace, name), prefix + "." + name, tags, prometheusPort);
  }

  /** A latency in milliseconds: a Beam distribution and a Micrometer timer with p50/p90/p99 and a histogram. */
  public Latency latency(String name) {
    return new Latency(Metrics.distribution(namespace, name + "_ms"), prefix + "." + name, tags, prometheusPort);
  }

  private static void startEndpoint(int port) {
    if (port > 0) {
      PrometheusEndpoint.ensureStarted(port);
    }
  }

  /** A Beam counter and its Micrometer twin. */
  public static final class Count implements Serializable {
    private static final long serialVersionUID = 1L;
    private final Counter beam;
    private final String meterName;
    private final String[] tags;
    private final int prometheusPort;
    private transient volatile io.micrometer.core.instrument.Counter meter;

    Count(Counter beam, String meterName, String[] tags, int prometheusPort) {
      this.beam = beam;
      this.meterName = meterName;
      this.tags = tags;
      this.prometheusPort = prometheusPort;
    }

    public void inc() {
      inc(1);
    }

    public void inc(long n) {
      beam.inc(n);
      meter().increment(n);
    }

    /**
     * Counts an event that completed off the bundle's thread (e.g. in an acknowledgement callback) on the Micrometer
     * side only, when it happens; the bundle counts it on the Beam side with {@link #incBeam} (Beam's counters belong
     * to the thread running the bundle).
     */
    public void incMeter() {
      meter().increment();
    }

    /** The Beam half of an event whose Micrometer half was counted by {@link #incMeter}. */
    public void incBeam() {
      beam.inc();
    }

    private io.micrometer.core.instrument.Counter meter() {
      io.micrometer.core.instrument.Counter m = meter;
      if (m == null) {
        startEndpoint(prometheusPort);
        // the global registry hands back the same meter for the same name and tags: all DoFn instances share it
        m = io.micrometer.core.instrument.Metrics.counter(meterName, Tags.of(tags));
        meter = m;
      }
      return m;
    }
  }

  /** A Beam distribution (ms) and a Micrometer timer with percentiles. */
  public static final class Latency implements Serializable {
    private static final long serialVersionUID = 1L;
    private final Distribution beam;
    private final String meterName;
    private final String[] tags;
    private final int prometheusPort;
    private transient volatile Timer timer;

    Latency(Distribution beam, String meterName, String[] tags, int prometheusPort) {
      this.beam = beam;
      this.meterName = meterName;
      this.tags = tags;
      this.prometheusPort = prometheusPort;
    }

    public void recordMillis(long millis) {
      recordBeamMillis(millis);
      recordMeterMillis(millis);
    }

    /** The Micrometer half only, from any thread (see {@link Count#incMeter}). */
    public void recordMeterMillis(long millis) {
      Timer t = timer;
      if (t == null) {
        startEndpoint(prometheusPort);
        t = Timer.builder(meterName).tags(Tags.of(tags)).publishPercentiles(0.5, 0.9, 0.99)
            .publishPercentileHistogram().register(io.micrometer.core.instrument.Metrics.globalRegistry);
        timer = t;
      }
      t.record(Math.max(0, millis), TimeUnit.MILLISECONDS);
    }

    /** The Beam half only, on the bundle's thread. */
    public void recordBeamMillis(long millis) {
      beam.update(Math.max(0, millis));
    }
  }
}
