package dev.astrabridge.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.astrabridge.bridge.options.BridgeOptions;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;

/** A streaming job on Flink always checkpoints (sources acknowledge only then); batch jobs need not. */
class BridgeMainFlinkTest {
  static BridgeOptions options(String... args) {
    return PipelineOptionsFactory.fromArgs(args).as(BridgeOptions.class);
  }

  static final String[] MIRROR = {"--runner=FlinkRunner", "--mode=mirror", "--pulsarServiceUrl=pulsar+ssl://p:6651",
      "--mirrorRoutes=persistent://t/ns/a->projects/my-project/topics/b", "--project=my-project"};

  @Test
  void aStreamingJobWithoutACheckpointingIntervalGetsTenSeconds() {
    BridgeOptions options = options(MIRROR);
    BridgeMain.build(options);
    assertThat(options.as(FlinkPipelineOptions.class).getCheckpointingInterval()).isEqualTo(10_000L);
    assertThat(options.isStreaming()).isTrue();
  }

  @Test
  void aDisabledIntervalIsReplacedAndAnExplicitOneKept() {
    String[] disabled = java.util.Arrays.copyOf(MIRROR, MIRROR.length + 1);
    disabled[MIRROR.length] = "--checkpointingInterval=-1";
    BridgeOptions off = options(disabled);
    BridgeMain.build(off);
    assertThat(off.as(FlinkPipelineOptions.class).getCheckpointingInterval()).isEqualTo(10_000L);

    disabled[MIRROR.length] = "--checkpointingInterval=2000";
    BridgeOptions explicit = options(disabled);
    BridgeMain.build(explicit);
    assertThat(explicit.as(FlinkPipelineOptions.class).getCheckpointingInterval()).isEqualTo(2000L);
  }

  @Test
  void theDemoRunsTheIngestJobOnFlinkThroughBridgeMain() throws Exception {
    // the README's first command: the demo must reach BridgeMain on the Flink runner (so the default above applies)
    String demo = java.nio.file.Files.readString(java.nio.file.Path.of("demo.sh"));
    String main = java.nio.file.Files.readString(java.nio.file.Path.of("src/test/java/dev/astrabridge/demo/IngestDemo.java"));
    assertThat(demo).contains("dev.astrabridge.demo.IngestDemo");
    assertThat(main).contains("BridgeMain.run(").contains("--runner=FlinkRunner").contains("--checkpointingInterval=2000");
  }

  @Test
  void aSavepointPathReachesTheEmbeddedRunnerThroughItsConfiguration(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    // Beam's runner gives --savepointPath only to a remote master; embedded it would start from empty state
    java.nio.file.Files.writeString(dir.resolve("config.yaml"), "taskmanager.numberOfTaskSlots: 3\n");
    String[] args = java.util.Arrays.copyOf(MIRROR, MIRROR.length + 3);
    args[MIRROR.length] = "--savepointPath=file:/var/checkpoints/chk-7";
    args[MIRROR.length + 1] = "--flinkConfDir=" + dir;
    args[MIRROR.length + 2] = "--allowNonRestoredState=true";
    BridgeOptions options = options(args);
    BridgeMain.build(options);
    FlinkPipelineOptions flink = options.as(FlinkPipelineOptions.class);
    assertThat(flink.getFlinkConfDir()).isNotEqualTo(dir.toString());
    org.apache.flink.configuration.Configuration conf =
        org.apache.flink.configuration.GlobalConfiguration.loadConfiguration(flink.getFlinkConfDir());
    assertThat(conf.getString("execution.savepoint.path", null)).isEqualTo("file:/var/checkpoints/chk-7");
    assertThat(conf.getString("execution.savepoint.ignore-unclaimed-state", null)).isEqualTo("true");
    assertThat(conf.getString("taskmanager.numberOfTaskSlots", null)).as("the user's own configuration").isEqualTo("3");

    String[] remote = java.util.Arrays.copyOf(MIRROR, MIRROR.length + 2);
    remote[MIRROR.length] = "--savepointPath=file:/var/checkpoints/chk-7";
    remote[MIRROR.length + 1] = "--flinkMaster=flink-jm:8081";
    BridgeOptions toCluster = options(remote);
    BridgeMain.build(toCluster);
    assertThat(toCluster.as(FlinkPipelineOptions.class).getFlinkConfDir()).as("a cluster gets it from the runner").isNull();
  }

  @Test
  void streamingJobsReportBeamMetricsToFlinkOnlyWhenAskedAndBatchJobsAlways() {
    BridgeOptions streaming = options(MIRROR);
    BridgeMain.build(streaming);
    assertThat(streaming.as(FlinkPipelineOptions.class).getDisableMetrics()).isTrue();

    String[] asked = java.util.Arrays.copyOf(MIRROR, MIRROR.length + 1);
    asked[MIRROR.length] = "--flinkBeamMetrics=true";
    BridgeOptions withMetrics = options(asked);
    BridgeMain.build(withMetrics);
    assertThat(withMetrics.as(FlinkPipelineOptions.class).getDisableMetrics()).isFalse();

    // the batch progress line and summary read Beam metrics
    BridgeOptions load = options("--runner=FlinkRunner", "--mode=load", "--loadFrom=/data/in/*.jsonl",
        "--keyspace=ks", "--table=t", "--deadLetter=log", "--cassandraContactPoints=127.0.0.1:9042",
        "--cassandraLocalDc=dc1");
    BridgeMain.build(load);
    assertThat(load.as(FlinkPipelineOptions.class).getDisableMetrics()).isFalse();
  }

  @Test
  void mirrorBundlesAreBiggerUnlessTheUserChoseASize() {
    BridgeOptions mirror = options(MIRROR);
    BridgeMain.build(mirror);
    assertThat(mirror.as(FlinkPipelineOptions.class).getMaxBundleSize()).isEqualTo(10_000L);

    String[] chosen = java.util.Arrays.copyOf(MIRROR, MIRROR.length + 1);
    chosen[MIRROR.length] = "--maxBundleSize=500";
    BridgeOptions explicit = options(chosen);
    BridgeMain.build(explicit);
    assertThat(explicit.as(FlinkPipelineOptions.class).getMaxBundleSize()).isEqualTo(500L);

    BridgeOptions ingest = options("--runner=FlinkRunner", "--mode=ingest", "--pulsarServiceUrl=pulsar+ssl://p:6651",
        "--pulsarTopics=persistent://t/ns/a", "--cassandraContactPoints=127.0.0.1:9042", "--cassandraLocalDc=dc1",
        "--keyspace=ks", "--table=t", "--deadLetter=log");
    BridgeMain.build(ingest);
    assertThat(ingest.as(FlinkPipelineOptions.class).getMaxBundleSize()).as("ingest keeps Beam's").isEqualTo(1_000L);
  }

  @Test
  void anEmbeddedStreamingJobCheckpointsToFilesUnlessABackendIsGiven() {
    // Flink's default keeps checkpoints in JobManager memory, 5 MiB per operator: one big message stalled a job
    BridgeOptions options = options(MIRROR);
    BridgeMain.build(options);
    FlinkPipelineOptions flink = options.as(FlinkPipelineOptions.class);
    assertThat(flink.getStateBackend()).isEqualTo("filesystem");
    assertThat(flink.getStateBackendStoragePath()).startsWith("file:").contains("astra-bridge-checkpoints");

    String[] given = java.util.Arrays.copyOf(MIRROR, MIRROR.length + 2);
    given[MIRROR.length] = "--stateBackend=rocksdb";
    given[MIRROR.length + 1] = "--stateBackendStoragePath=s3://acme/checkpoints";
    BridgeOptions explicit = options(given);
    BridgeMain.build(explicit);
    assertThat(explicit.as(FlinkPipelineOptions.class).getStateBackendStoragePath()).isEqualTo("s3://acme/checkpoints");
  }

  /** Stands in for what `flink run` installs: a context whose environment is the cluster's, not a local one. */
  static final class FlinkRunContext extends org.apache.flink.streaming.api.environment.StreamExecutionEnvironment {
    static void install() {
      initializeContextEnvironment(conf -> new FlinkRunContext());
    }

    static void remove() {
      resetContextEnvironment();
    }
  }

  @Test
  void underFlinkRunTheClustersOwnCheckpointStorageAndSavepointStayInCharge() {
    FlinkRunContext.install();
    try {
      String[] args = java.util.Arrays.copyOf(MIRROR, MIRROR.length + 1);
      args[MIRROR.length] = "--savepointPath=file:/var/checkpoints/chk-7";
      BridgeOptions options = options(args);
      BridgeMain.build(options);
      FlinkPipelineOptions flink = options.as(FlinkPipelineOptions.class);
      assertThat(flink.getStateBackend()).isNull();
      assertThat(flink.getFlinkConfDir()).isNull();
      assertThat(flink.getCheckpointingInterval()).as("checkpointing is still on").isEqualTo(10_000L);
    } finally {
      FlinkRunContext.remove();
    }
  }
}
