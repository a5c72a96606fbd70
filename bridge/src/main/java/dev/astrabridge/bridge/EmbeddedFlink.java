package dev.astrabridge.bridge;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.stream.Stream;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the embedded Flink runner (the README's main job, the tests) needs beyond Beam's defaults.
 *
 * <p><b>Checkpoints on disk.</b> Without {@code --stateBackend}, Flink keeps checkpoints in the JobManager's memory,
 * at most 5 MiB of state per operator: one 6 MiB Pub/Sub message waiting in the mirror's stable-input buffer made
 * every checkpoint fail ("Size of the state is larger than the maximum permitted memory-backed state"), so nothing
 * was ever sent or acknowledged (measured in MirrorDeadLetterIT). A streaming job on the embedded runner without a
 * state backend therefore checkpoints to files under the temp directory (logged); a cluster uses its own
 * configuration.
 *
 * <p><b>Restore.</b> Makes {@code --savepointPath} work on the embedded Flink runner.
 *
 * <p>Beam's Flink runner hands {@code --savepointPath} only to a remote cluster (a {@code --flinkMaster=host:port});
 * with the embedded master ({@code [local]}, or {@code [auto]} outside {@code flink run}) it ignores it without a
 * word, and the job starts with empty state. For the mirror that is loss, not just a replay: messages waiting in
 * the "Order and sequence" state were already acknowledged at the source when the checkpoint that holds them
 * completed. The embedded environment does read Flink's own {@code execution.savepoint.path} from the configuration
 * directory, so the option is written there: a copy of {@code --flinkConfDir} (if one was given) plus the two keys.
 */
final class EmbeddedFlink {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedFlink.class);
  static final String SAVEPOINT_PATH = "execution.savepoint.path";
  static final String IGNORE_UNCLAIMED = "execution.savepoint.ignore-unclaimed-state";

  /**
   * True when the job runs on a Flink master the runner starts in this JVM: {@code [local]}, or {@code [auto]} when
   * Flink's context gives a local environment (the same test Beam's runner makes) — under {@code flink run} it gives
   * the cluster's, whose own configuration (checkpoint storage, {@code -s} savepoint) must stay in charge.
   */
  static boolean embedded(FlinkPipelineOptions flink) {
    String master = flink.getFlinkMaster() == null ? "[auto]" : flink.getFlinkMaster();
    return master.equals("[local]") || (master.equals("[auto]")
        && StreamExecutionEnvironment.getExecutionEnvironment() instanceof LocalStreamEnvironment);
  }

  /** Embedded and no state backend given: the filesystem backend under java.io.tmpdir/astra-bridge-checkpoints. */
  static void checkpointToFiles(FlinkPipelineOptions flink) {
    if (!embedded(flink) || flink.getStateBackend() != null || flink.getStateBackendFactory() != null) {
      return;
    }
    Path dir = Path.of(System.getProperty("java.io.tmpdir"), "astra-bridge-checkpoints");
    flink.setStateBackend("filesystem");
    flink.setStateBackendStoragePath(dir.toUri().toString());
    LOG.info("Flink (embedded): checkpoints to {} (give --stateBackend and --stateBackendStoragePath to choose)", dir);
  }

  static void restoreFromSavepoint(FlinkPipelineOptions flink) {
    if (flink.getSavepointPath() == null || flink.getSavepointPath().isBlank() || !embedded(flink)) {
      return;
    }
    try {
      Path dir = Files.createTempDirectory("astra-bridge-flink-conf");
      dir.toFile().deleteOnExit();
      String file = "flink-conf.yaml";
      if (flink.getFlinkConfDir() != null) {
        Path given = Path.of(flink.getFlinkConfDir());
        try (Stream<Path> files = Files.list(given)) {
          for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
            Files.copy(f, dir.resolve(f.getFileName()));
            dir.resolve(f.getFileName()).toFile().deleteOnExit();
          }
        }
        if (Files.exists(dir.resolve("config.yaml"))) {
          file = "config.yaml"; // Flink 1.19 reads config.yaml in preference to flink-conf.yaml
        }
      }
      Path conf = dir.resolve(file);
      conf.toFile().deleteOnExit();
      String keys = System.lineSeparator() + SAVEPOINT_PATH + ": " + flink.getSavepointPath() + System.lineSeparator()
          + IGNORE_UNCLAIMED + ": " + Boolean.TRUE.equals(flink.getAllowNonRestoredState()) + System.lineSeparator();
      Files.writeString(conf, keys, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      flink.setFlinkConfDir(dir.toString());
      LOG.warn("Flink (embedded): restoring the job's state from {}", flink.getSavepointPath());
    } catch (IOException e) {
      throw new UncheckedIOException("could not prepare the embedded Flink restore from --savepointPath="
          + flink.getSavepointPath(), e);
    }
  }

  private EmbeddedFlink() {}
}
