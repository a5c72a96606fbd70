package dev.astrabridge.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The gcloud scripts' command lines, through their --dry-run flag (no network, no gcloud here). */
class TemplateScriptsTest {
  record Result(int exit, String out, String err) {}

  static Result run(String script, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("bash", script));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).start();
    p.waitFor(60, TimeUnit.SECONDS);
    return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
        new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
  }

  @Test
  void buildTemplateBuildsTheJarThenTheTemplateFromTheLauncherBaseImage() throws Exception {
    Result r = run("build-template.sh", "--project", "acme", "--region", "europe-west1", "--bucket", "acme-df",
        "--tag", "v1", "--dry-run");

    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("mvn -B -q package -DskipTests -pl deploy/dataflow -am")
        .contains("gcloud dataflow flex-template build gs://acme-df/templates/astra-bridge-v1.json --project acme"
            + " --image-gcr-path europe-west1-docker.pkg.dev/acme/astra-bridge/astra-bridge:v1 --sdk-language JAVA"
            + " --flex-template-base-image JAVA17 --metadata-file deploy/dataflow/metadata.json"
            + " --jar deploy/dataflow/target/astra-bridge-bundled.jar"
            + " --env FLEX_TEMPLATE_JAVA_MAIN_CLASS=dev.astrabridge.bridge.BridgeMain");
    Result docker = run("build-template.sh", "--project", "acme", "--region", "europe-west1", "--bucket", "acme-df",
        "--tag", "v1", "--docker", "--dry-run");
    assertThat(docker.out()).contains("docker build -f deploy/dataflow/Dockerfile").contains("docker push")
        .contains("--image europe-west1-docker.pkg.dev/acme/astra-bridge/astra-bridge:v1");
  }

  @Test
  void runTemplateMapsItsFlagsAndKeepsCommasInsideParameterValues() throws Exception {
    Result r = run("run-template.sh", "--project", "acme", "--region", "europe-west1",
        "--template", "gs://acme-df/templates/astra-bridge-v1.json", "--job-name", "bridge-ingest",
        "--service-account", "bridge@acme.iam.gserviceaccount.com", "--subnetwork", "regions/europe-west1/subnetworks/df",
        "--max-workers", "8", "--update", "--transform-name-mappings", "{\"Old step\":\"New step\"}", "--dry-run", "--",
        "mode=ingest", "astraToken=projects/acme/secrets/astra-token/versions/latest",
        "mapping=customer_id = customer.customer_id, *");

    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).startsWith("gcloud dataflow flex-template run bridge-ingest --project acme --region europe-west1"
            + " --template-file-gcs-location gs://acme-df/templates/astra-bridge-v1.json")
        .contains("--max-workers 8").contains("--service-account-email bridge@acme.iam.gserviceaccount.com")
        .contains("--subnetwork regions/europe-west1/subnetworks/df").contains("--enable-streaming-engine")
        .contains("--update").contains("--transform-name-mappings \\{\\\"Old\\ step\\\":\\\"New\\ step\\\"\\}")
        .contains("--parameters \\^~\\^mode=ingest~astraToken=projects/acme/secrets/astra-token/versions/latest"
            + "~mapping=customer_id\\ =\\ customer.customer_id\\,\\ \\*");
  }

  @Test
  void runTemplateRefusesASecretValueAsAParameter() throws Exception {
    Result r = run("run-template.sh", "--project", "acme", "--region", "r", "--template", "gs://b/t.json",
        "--job-name", "j", "--dry-run", "--", "astraToken=AstraCS:abc:def");

    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("parameter astraToken: give a Secret Manager version").doesNotContain("AstraCS:abc");
    assertThat(r.out()).isEmpty();
  }

  @Test
  void drainIsOneCommand() throws Exception {
    Result r = run("run-template.sh", "--project", "acme", "--region", "europe-west1", "--drain", "2026-11-26_01_02_03-123",
        "--dry-run");
    assertThat(r.out().trim()).isEqualTo("gcloud dataflow jobs drain 2026-11-26_01_02_03-123 --project acme --region europe-west1");
  }
}
