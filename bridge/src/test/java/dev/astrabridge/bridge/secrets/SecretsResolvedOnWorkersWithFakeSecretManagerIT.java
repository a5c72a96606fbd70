package dev.astrabridge.bridge.secrets;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import dev.astrabridge.bridge.BridgeMain;
import dev.astrabridge.bridge.options.BridgeOptions;
import dev.astrabridge.localstack.LocalStack;
import dev.astrabridge.localstack.LocalStackExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Astra token given as a Secret Manager resource name is resolved on the workers, when the session opens — not
 * when the pipeline is built — through Google's client against a FAKE Secret Manager (real gRPC, see
 * {@link FakeSecretManager}), and the rows reach the real Cassandra. The value never shows in options or display data.
 */
@ExtendWith(LocalStackExtension.class)
class SecretsResolvedOnWorkersWithFakeSecretManagerIT {
  static final String REF = "projects/test-project/secrets/astra-token/versions/latest";

  @Test
  void theTokenIsFetchedByTheWorkerNotAtLaunch(LocalStack stack, @TempDir Path dir) throws Exception {
    try (FakeSecretManager fake = new FakeSecretManager();
         CqlSession session = CqlSession.builder().addContactPoint(stack.cassandraContactPoint())
             .withLocalDatacenter(stack.cassandraLocalDc()).withAuthCredentials("token", stack.astraToken())
             .withKeyspace(stack.keyspace()).build()) {
      System.setProperty(GoogleSecretManagerResolver.ENDPOINT_PROPERTY, fake.endpoint());
      fake.secrets.put(REF, stack.astraToken().getBytes(StandardCharsets.UTF_8));
      session.execute("CREATE TABLE IF NOT EXISTS secret_it (id text PRIMARY KEY, n int)");
      String run = UUID.randomUUID().toString();
      Files.writeString(dir.resolve("in.jsonl"), "{\"id\":\"" + run + "-1\",\"n\":1}\n{\"id\":\"" + run + "-2\",\"n\":2}\n");
      Files.writeString(dir.resolve("Row.avsc"), "{\"type\":\"record\",\"name\":\"Row\",\"fields\":[{\"name\":\"id\","
          + "\"type\":\"string\"},{\"name\":\"n\",\"type\":\"int\"}]}");
      BridgeOptions options = PipelineOptionsFactory.fromArgs("--mode=load", "--runner=DirectRunner",
          "--cassandraContactPoints=" + stack.cassandraContactPoint().getHostString() + ":" + stack.cassandraContactPoint().getPort(),
          "--cassandraLocalDc=" + stack.cassandraLocalDc(), "--cassandraUsername=token", "--cassandraPassword=" + REF,
          "--keyspace=" + stack.keyspace(), "--table=secret_it", "--schema=" + dir.resolve("Row.avsc"),
          "--loadFrom=" + dir.resolve("in.jsonl")).withValidation().as(BridgeOptions.class);

      Pipeline pipeline = BridgeMain.build(options);
      assertThat(fake.accessed).as("nothing resolved while the pipeline is built (the launcher)").isEmpty();
      assertThat(DisplayData.from(options).toString() + options).doesNotContain(stack.astraToken()).contains(REF);

      PipelineResult result = pipeline.run();
      assertThat(result.waitUntilFinish()).isEqualTo(PipelineResult.State.DONE);

      assertThat(fake.accessed).as("resolved by the workers' session setup").contains(REF);
      assertThat(session.execute("SELECT n FROM secret_it WHERE id IN (?, ?)", run + "-1", run + "-2").all()).hasSize(2);
    } finally {
      System.clearProperty(GoogleSecretManagerResolver.ENDPOINT_PROPERTY);
    }
  }
}
