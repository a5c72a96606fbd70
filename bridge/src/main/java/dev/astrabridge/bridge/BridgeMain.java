package dev.astrabridge.bridge;

import dev.astrabridge.bridge.batch.BatchProgress;
import dev.astrabridge.bridge.batch.ExportPipeline;
import dev.astrabridge.bridge.batch.LoadPipeline;
import dev.astrabridge.bridge.ingest.IngestPipeline;
import dev.astrabridge.bridge.mirror.MirrorPipeline;
import dev.astrabridge.bridge.options.BridgeOptions;
import dev.astrabridge.bridge.options.Settings;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricsEnvironment;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The bridge's entry point: options → checked settings → pipeline → run. */
public final class BridgeMain {
  private static final Logger LOG = LoggerFactory.getLogger(BridgeMain.class);
  /** Flink acknowledges source messages only when a checkpoint completes: never run without checkpoints. */
  static final long DEFAULT_FLINK_CHECKPOINT_MS = 10_000;
  /** Beam's default --maxBundleSize on Flink; the mirror raises it unless it was changed. */
  static final long BEAM_FLINK_MAX_BUNDLE_SIZE = 1_000;
  static final long MIRROR_FLINK_MAX_BUNDLE_SIZE = 10_000;

  public static void main(String[] args) {
    PipelineOptionsFactory.register(BridgeOptions.class);
    BridgeOptions options = PipelineOptionsFactory.fromArgs(args).withValidation().as(BridgeOptions.class);
    PipelineResult result;
    try {
      result = run(options);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    if (options.getMode() != null && options.getMode().matches("(?i)load|export")) {
      // batch: a progress line while it runs, a summary at the end, and the exit status says whether it worked
      System.exit(BatchProgress.follow(result, options) ? 0 : 1);
    }
    result.waitUntilFinish();
  }

  /** Builds and starts the job the options describe. */
  public static PipelineResult run(BridgeOptions options) {
    return build(options).run();
  }

  /** Builds (without running) the job the options describe; checks every option first. */
  public static Pipeline build(BridgeOptions options) {
    Settings settings = Settings.of(options);
    boolean batch = settings.mode == Settings.Mode.LOAD || settings.mode == Settings.Mode.EXPORT;
    options.setStreaming(!batch);
    if (batch && "DirectRunner".equals(options.getRunner().getSimpleName())) {
      // return from run() so main can show progress while the job runs
      options.as(org.apache.beam.runners.direct.DirectOptions.class).setBlockOnRun(false);
    }
    if ("FlinkRunner".equals(options.getRunner().getSimpleName())) {
      // no deep copy (encode + decode) of every element between chained operators: the bridge's steps never change
      // an element they were given (they build new envelopes). Measured: the copies were a third of a mirror
      // worker's CPU (the Avro envelope coded twice per hop).
      options.as(FlinkPipelineOptions.class).setFasterCopy(true);
    }
    if (!batch && "FlinkRunner".equals(options.getRunner().getSimpleName())) {
      FlinkPipelineOptions flink = options.as(FlinkPipelineOptions.class);
      if (flink.getCheckpointingInterval() == null || flink.getCheckpointingInterval() <= 0) {
        LOG.info("Flink: checkpointing every {} ms (sources acknowledge only when a checkpoint completes)",
            DEFAULT_FLINK_CHECKPOINT_MS);
        flink.setCheckpointingInterval(DEFAULT_FLINK_CHECKPOINT_MS);
      }
      if (!Boolean.TRUE.equals(options.getFlinkBeamMetrics())) {
        // the Flink runner refreshes a source's Beam metrics after every read (ReaderInvocationUtil): a fifth of the
        // mirror's task-thread CPU (JFR). Our meters record to Micrometer too (--prometheusPort), so nothing is lost.
        flink.setDisableMetrics(true);
        // Beam logs once per JVM when a metric is updated with no metrics container, which every Beam counter now is:
        // let that line be the warning "metrics not supported" here, not an ERROR from the first task
        MetricsEnvironment.setMetricsSupported(false);
        MetricsEnvironment.getCurrentContainer();
        LOG.info("Flink: Beam metrics are not forwarded to Flink (--flinkBeamMetrics=false); the bridge's meters are"
            + " on --prometheusPort");
      }
      if (settings.mode == Settings.Mode.MIRROR && flink.getMaxBundleSize() == BEAM_FLINK_MAX_BUNDLE_SIZE) {
        // every bundle of the mirror ends waiting for the target's acknowledgements (nothing is acknowledged at the
        // source before that): with Beam's 1,000 that wait came every few ms. Measured Pulsar → Pub/Sub, 200k
        // messages: 68 % of a raw relay with 1,000, 88 % with 10,000. Bundles still end after --maxBundleTimeMills.
        LOG.info("Flink: mirror bundles of up to {} elements (--maxBundleSize)", MIRROR_FLINK_MAX_BUNDLE_SIZE);
        flink.setMaxBundleSize(MIRROR_FLINK_MAX_BUNDLE_SIZE);
      }
      EmbeddedFlink.checkpointToFiles(flink);
      EmbeddedFlink.restoreFromSavepoint(flink);
    }
    Pipeline pipeline = Pipeline.create(options);
    switch (settings.mode) {
      case INGEST:
        IngestPipeline.build(pipeline, options, settings);
        return pipeline;
      case MIRROR:
        MirrorPipeline.build(pipeline, options, settings);
        return pipeline;
      case LOAD:
        LoadPipeline.build(pipeline, options, settings);
        return pipeline;
      case EXPORT:
        ExportPipeline.build(pipeline, options, settings);
        return pipeline;
      default:
        throw new AssertionError(settings.mode);
    }
  }

  private BridgeMain() {}
}
