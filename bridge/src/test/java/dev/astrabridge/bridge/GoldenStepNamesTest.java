package dev.astrabridge.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.astrabridge.bridge.options.BridgeOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Update compatibility: Dataflow's {@code --update} (and a Flink savepoint restore) matches the running job's steps by
 * their full names, so a renamed step loses its state. Each job's transform names, as built by BridgeMain, must equal
 * the golden list in src/test/resources/golden/. A deliberate rename: regenerate with
 * {@code mvn -pl bridge test -Dtest=GoldenStepNamesTest -Dgolden.update=true}, review the diff, and plan the update
 * (a --transformNameMapping for Dataflow, or drain and start fresh).
 */
class GoldenStepNamesTest {
  static final String[] COMMON = {"--runner=DirectRunner", "--pulsarServiceUrl=pulsar+ssl://pulsar.example:6651",
      "--pulsarToken=env:PULSAR_TOKEN", "--astraSecureConnectBundle=/secrets/scb.zip", "--astraToken=env:ASTRA_TOKEN",
      "--keyspace=astra_bridge", "--table=orders", "--project=my-project", "--pubsubRootUrl=https://pubsub.googleapis.com"};

  static String[] job(String name) {
    switch (name) {
      case "ingest-pulsar":
        return new String[] {"--mode=ingest", "--source=pulsar", "--pulsarTopics=persistent://astra-bridge/ingest/orders",
            "--pulsarSubscription=bridge", "--dedupBy=attribute:event_id", "--windowType=fixed", "--windowSize=1m",
            "--rollupTable=astra_bridge.order_rollups", "--rollupKeys=status", "--deadLetter=pulsar:persistent://astra-bridge/ingest/dead-letter"};
      case "ingest-pubsub":
        return new String[] {"--mode=ingest", "--source=pubsub", "--pubsubSubscription=projects/my-project/subscriptions/orders-sub",
            "--pubsubIdAttribute=event_id", "--dedupBy=message-id", "--deadLetter=pubsub:projects/my-project/topics/dead-letter"};
      case "mirror":
        return new String[] {"--mode=mirror", "--mirrorRoutes=projects/my-project/subscriptions/in-sub->persistent://astra-bridge/mirror/from-pubsub,"
            + "persistent://astra-bridge/mirror/to-pubsub->projects/my-project/topics/out", "--pulsarSubscription=mirror",
            "--deadLetter=log"};
      case "load":
        return new String[] {"--mode=load", "--loadFrom=gs://bucket/in/*.jsonl", "--deadLetter=cassandra:astra_bridge.dead_letter"};
      case "export":
        return new String[] {"--mode=export", "--exportSchema=OrderEvent", "--exportTo=" + System.getProperty("java.io.tmpdir") + "/astra-bridge-golden/orders", "--fileFormat=avro"};
      default:
        throw new IllegalArgumentException(name);
    }
  }

  static List<String> stepNames(Pipeline pipeline) {
    List<String> names = new ArrayList<>();
    pipeline.traverseTopologically(new Pipeline.PipelineVisitor.Defaults() {
      @Override
      public CompositeBehavior enterCompositeTransform(TransformHierarchy.Node node) {
        if (!node.isRootNode()) {
          names.add(node.getFullName());
        }
        return CompositeBehavior.ENTER_TRANSFORM;
      }

      @Override
      public void visitPrimitiveTransform(TransformHierarchy.Node node) {
        names.add(node.getFullName());
      }
    });
    return names;
  }

  @ParameterizedTest
  @ValueSource(strings = {"ingest-pulsar", "ingest-pubsub", "mirror", "load", "export"})
  void stepNamesMatchTheGoldenList(String job) throws IOException {
    List<String> args = new ArrayList<>(List.of(COMMON));
    args.addAll(List.of(job(job)));
    BridgeOptions options = PipelineOptionsFactory.fromArgs(args.toArray(new String[0])).as(BridgeOptions.class);
    List<String> names = stepNames(BridgeMain.build(options));

    Path golden = Path.of("src/test/resources/golden/" + job + ".txt");
    if (Boolean.getBoolean("golden.update")) {
      Files.writeString(golden, String.join("\n", names) + "\n", StandardCharsets.UTF_8);
    }
    assertThat(names).as("step names of the %s job (see this class's comment to accept a rename)", job)
        .containsExactlyElementsOf(Files.readAllLines(golden, StandardCharsets.UTF_8));
  }
}
