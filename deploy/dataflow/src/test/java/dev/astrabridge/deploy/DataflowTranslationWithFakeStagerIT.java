package dev.astrabridge.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.api.services.dataflow.model.DataflowPackage;
import dev.astrabridge.bridge.BridgeMain;
import dev.astrabridge.bridge.options.BridgeOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.runners.dataflow.DataflowRunner;
import org.apache.beam.runners.dataflow.options.DataflowPipelineDebugOptions;
import org.apache.beam.runners.dataflow.options.DataflowPipelineOptions;
import org.apache.beam.runners.dataflow.util.PackageUtil;
import org.apache.beam.runners.dataflow.util.Stager;
import org.apache.beam.sdk.extensions.gcp.storage.NoopPathValidator;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import dev.astrabridge.localstack.LocalStack;
import dev.astrabridge.localstack.LocalStackExtension;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The real DataflowRunner translates each job into a Dataflow job graph offline: --templateLocation makes it write
 * the job to a file instead of submitting it, and a FAKE stager (the only fake: staging would upload the jars to GCS)
 * records what would be uploaded. Shows that every step, coder and DoFn of the job serializes for Dataflow, and that
 * no secret value is in the graph.
 *
 * <p>The Dataflow runner splits unbounded sources while it builds the graph — in the launcher. On the DataflowRunner
 * the Pulsar source therefore splits without contacting the broker (--pulsarSplitOnWorkers=auto) and its readers
 * list partitions on the workers: this test gives a broker address that does not resolve and Secret Manager
 * references for every secret, so the launch can need neither the broker nor any secret value.
 */
@ExtendWith(LocalStackExtension.class)
class DataflowTranslationWithFakeStagerIT {

  /** FAKE: stands in for GcsStager (uploads to gs://), which this machine cannot reach. */
  public static final class FakeStager implements Stager {
    static final List<String> STAGED = new ArrayList<>();

    public static FakeStager fromOptions(PipelineOptions options) {
      return new FakeStager();
    }

    @Override
    public List<DataflowPackage> stageFiles(List<PackageUtil.StagedFile> files) {
      List<DataflowPackage> packages = new ArrayList<>();
      for (PackageUtil.StagedFile f : files) {
        STAGED.add(f.getDestination());
        packages.add(new DataflowPackage().setName(f.getDestination()).setLocation("gs://fake-staging/" + f.getDestination()));
      }
      return packages;
    }

    @Override
    public DataflowPackage stageToFile(byte[] bytes, String name) {
      STAGED.add(name);
      return new DataflowPackage().setName(name).setLocation("gs://fake-staging/" + name);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"ingest-pulsar", "mirror"})
  void theJobTranslatesToADataflowJobGraph(String job, LocalStack stack, @TempDir Path dir) throws Exception {
    List<String> args = new ArrayList<>(List.of("--runner=DataflowRunner", "--project=acme-project", "--region=europe-west1",
        "--gcpTempLocation=gs://acme-dataflow/tmp", "--stagingLocation=gs://acme-dataflow/staging",
        "--pathValidatorClass=" + NoopPathValidator.class.getName(),
        "--credentialFactoryClass=org.apache.beam.sdk.extensions.gcp.auth.NoopCredentialFactory",
        "--templateLocation=" + dir.resolve("job.json"), "--filesToStage=" + dir.resolve("empty.jar"),
        "--pulsarServiceUrl=pulsar+ssl://broker.acme.invalid:6651",
        "--pulsarToken=projects/acme-project/secrets/pulsar-token/versions/1",
        "--pulsarTlsTrustCerts=" + stack.caCert(), "--pulsarAdminUrl=https://broker.acme.invalid:8443",
        "--astraSecureConnectBundle=projects/acme-project/secrets/scb/versions/1",
        "--astraToken=projects/acme-project/secrets/astra-token/versions/1", "--keyspace=shop", "--table=orders"));
    args.addAll(job.equals("mirror") ? List.of("--mode=mirror",
        "--mirrorRoutes=projects/acme-project/subscriptions/mirror-in-sub->" + stack.pulsarTopic("mirror", "from-pubsub") + ","
            + stack.pulsarTopic("mirror", "to-pubsub") + "->projects/acme-project/topics/mirror-out")
        : List.of("--mode=ingest", "--source=pulsar", "--pulsarTopics=" + stack.pulsarTopic("ingest", "orders"), "--windowType=fixed",
            "--windowSize=1m", "--deadLetter=pulsar:" + stack.pulsarTopic("ingest", "dead-letter")));
    Files.write(dir.resolve("empty.jar"), new byte[0]);
    BridgeOptions options = PipelineOptionsFactory.fromArgs(args.toArray(new String[0])).as(BridgeOptions.class);
    options.as(DataflowPipelineDebugOptions.class).setStager(FakeStager.fromOptions(options));

    // a source that asked the broker for partitions here would fail: broker.acme.invalid does not resolve
    DataflowRunner.fromOptions(options).run(BridgeMain.build(options));

    JsonNode graph = new ObjectMapper().readTree(dir.resolve("job.json").toFile());
    String text = graph.toString();
    assertThat(graph.path("steps").size()).as("steps in the job graph").isGreaterThan(5);
    assertThat(text).contains(job.equals("mirror") ? "Mirror mirror-in-sub to from-pubsub" : "Write to Astra DB");
    assertThat(text).doesNotContain(stack.astraToken()).doesNotContain(stack.pulsarClientToken());
    assertThat(FakeStager.STAGED).isNotEmpty();
    System.out.printf("%s: %d steps in the Dataflow job graph, %d files staged (fake)%n", job, graph.path("steps").size(),
        FakeStager.STAGED.size());
  }
}
