package dev.astrabridge.bridge.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.astrabridge.bridge.options.BridgeOptions;
import dev.astrabridge.bridge.options.Settings;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;

/** Start-up checks of --mode=load and --mode=export: every problem at once, naming option, value and what is valid. */
class BatchSettingsTest {
  static final String[] CASSANDRA = {"--cassandraContactPoints=127.0.0.1:9042", "--cassandraLocalDc=dc1"};

  static BridgeOptions options(String... args) {
    String[] all = new String[args.length + CASSANDRA.length];
    System.arraycopy(CASSANDRA, 0, all, 0, CASSANDRA.length);
    System.arraycopy(args, 0, all, CASSANDRA.length, args.length);
    return PipelineOptionsFactory.fromArgs(all).as(BridgeOptions.class);
  }

  @Test
  void loadNeedsFilesATableAndAKnownFormat() {
    assertThatThrownBy(() -> Settings.of(options("--mode=load", "--fileFormat=parquet")))
        .hasMessageContaining("--loadFrom: required with --mode=load")
        .hasMessageContaining("--keyspace / --table: both are required (the target table")
        .hasMessageContaining("--fileFormat=parquet: valid: avro, jsonl, csv");
  }

  @Test
  void loadTakesTheFormatFromTheExtension() {
    Settings s = Settings.of(options("--mode=load", "--keyspace=ks", "--table=t", "--loadFrom=/data/in/*.jsonl"));
    assertThat(s.fileFormat).isEqualTo(FileFormat.JSONL);
    assertThatThrownBy(() -> Settings.of(options("--mode=load", "--keyspace=ks", "--table=t", "--loadFrom=/data/in/*")))
        .hasMessageContaining("--fileFormat=(none): valid: avro, jsonl, csv (or leave it out and name files");
  }

  @Test
  void exportChecksItsTargetSplitsAndConsistency() {
    assertThatThrownBy(() -> Settings.of(options("--mode=export", "--keyspace=ks", "--table=t",
        "--exportTo=pubsub:topics/x", "--readSplits=-1", "--readConsistency=MOSTLY")))
        .hasMessageContaining("--exportTo=pubsub:topics/x: valid: a file prefix")
        .hasMessageContaining("--readSplits=-1")
        .hasMessageContaining("--readConsistency=MOSTLY: valid: LOCAL_QUORUM");
    Settings s = Settings.of(options("--mode=export", "--keyspace=ks", "--table=t", "--exportTo=/tmp/out/orders"));
    assertThat(s.fileFormat).isEqualTo(FileFormat.AVRO);
    assertThat(s.exportSchema).isNull();
  }

  @Test
  void exportOnDataflowNeedsItsSchemaGivenSoTheLauncherNeverConnects() {
    assertThatThrownBy(() -> Settings.of(options("--runner=DataflowRunner", "--mode=export", "--keyspace=ks",
        "--table=t", "--exportTo=gs://acme/out/orders")))
        .hasMessageContaining("--exportSchema: required on the DataflowRunner");
    Settings s = Settings.of(options("--runner=DataflowRunner", "--mode=export", "--keyspace=ks", "--table=t",
        "--exportTo=gs://acme/out/orders", "--exportSchema=OrderEvent"));
    assertThat(s.exportSchema.getName()).isEqualTo("OrderEvent");
  }
}
