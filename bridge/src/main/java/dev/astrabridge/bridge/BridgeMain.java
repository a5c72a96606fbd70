package dev.astrabridge.bridge;

import dev.astrabridge.bridge.ingest.IngestPipeline;
import dev.astrabridge.bridge.mirror.MirrorPipeline;
import dev.astrabridge.bridge.options.BridgeOptions;
import dev.astrabridge.bridge.options.Settings;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The bridge's entry point: options → checked settings → pipeline → run. */
public final class BridgeMain {
  private static final Logger LOG = LoggerFactory.getLogger(BridgeMain.class);
  /** Flink acknowledges source messages only when a checkpoint completes: never run without checkpoints. */
  static final long DEFAULT_FLINK_CHECKPOINT_MS = 10_000;

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
    result.waitUntilFinish();
  }

  /** Builds and starts the job the options describe. */
  public static PipelineResult run(BridgeOptions options) {
    return build(options).run();
  }

  /** Builds (without running) the job the options describe; checks every option first. */
  public static Pipeline build(BridgeOptions options) {
    Settings settings = Settings.of(options);
    options.setStreaming(true);
    if ("FlinkRunner".equals(options.getRunner().getSimpleName())) {
      FlinkPipelineOptions flink = options.as(FlinkPipelineOptions.class);
      if (flink.getCheckpointingInterval() == null || flink.getCheckpointingInterval() <= 0) {
        LOG.info("Flink: checkpointing every {} ms (sources acknowledge only when a checkpoint completes)",
            DEFAULT_FLINK_CHECKPOINT_MS);
        flink.setCheckpointingInterval(DEFAULT_FLINK_CHECKPOINT_MS);
      }
    }
    Pipeline pipeline = Pipeline.create(options);
    switch (settings.mode) {
      case INGEST:
        IngestPipeline.build(pipeline, options, settings);
        return pipeline;
      case MIRROR:
        MirrorPipeline.build(pipeline, options, settings);
        return pipeline;
      default:
        throw new IllegalArgumentException("--mode=" + options.getMode() + ": not available yet; valid today: ingest, mirror"
            + " (load and export are planned)");
    }
  }

  private BridgeMain() {}
}
