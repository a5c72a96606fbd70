package dev.astrabridge.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.astrabridge.bridge.options.BridgeOptions;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;

/** The Flex Template metadata and the options interfaces cannot drift apart. */
class FlexTemplateMetadataTest {
  static final Path COMMITTED = Path.of("metadata.json");

  @Test
  void theCommittedMetadataIsWhatTheOptionsGenerate() throws Exception {
    if (Boolean.getBoolean("metadata.update")) {
      Files.writeString(COMMITTED, FlexTemplateMetadata.generate(), StandardCharsets.UTF_8);
    }
    assertThat(Files.readString(COMMITTED, StandardCharsets.UTF_8))
        .as("deploy/dataflow/metadata.json is stale: regenerate it with"
            + " mvn -pl deploy/dataflow test -Dtest=FlexTemplateMetadataTest -Dmetadata.update=true")
        .isEqualTo(FlexTemplateMetadata.generate());
  }

  @Test
  void everyParameterIsAnOptionAndEveryBridgeOptionIsAParameter() throws Exception {
    JsonNode metadata = new ObjectMapper().readTree(COMMITTED.toFile());
    Set<String> parameters = new HashSet<>();
    for (JsonNode p : metadata.get("parameters")) {
      parameters.add(p.get("name").asText());
      assertThat(p.get("label").asText()).isNotBlank();
      assertThat(p.get("helpText").asText()).hasSizeGreaterThan(10);
    }
    // every parameter is accepted by the options parser as --name=value
    PipelineOptionsFactory.register(BridgeOptions.class);
    Set<String> options = new HashSet<>();
    for (Method m : FlexTemplateMetadata.getters()) {
      options.add(java.beans.Introspector.decapitalize(m.getName().substring(3)));
    }
    assertThat(parameters).isEqualTo(options).contains("mode", "pulsarToken", "astraToken", "mirrorRoutes", "exportTo");
  }

  @Test
  void regexesCompileAcceptTheDefaultsAndRefuseLiteralSecrets() throws Exception {
    for (Method getter : FlexTemplateMetadata.getters()) {
      dev.astrabridge.bridge.options.TemplateRegex regex = getter.getAnnotation(dev.astrabridge.bridge.options.TemplateRegex.class);
      String def = FlexTemplateMetadata.defaultOf(getter);
      if (regex != null && def != null) {
        assertThat(Pattern.compile(regex.value()).matcher(def).matches()).as(getter.getName() + " default " + def).isTrue();
      }
    }
    JsonNode metadata = new ObjectMapper().readTree(COMMITTED.toFile());
    for (JsonNode p : metadata.get("parameters")) {
      if (Set.of("astraToken", "pulsarToken", "cassandraPassword").contains(p.get("name").asText())) {
        Pattern secret = Pattern.compile(p.get("regexes").get(0).asText());
        assertThat(secret.matcher("projects/p/secrets/astra-token/versions/latest").matches()).isTrue();
        assertThat(secret.matcher("AstraCS:abc:def").matches()).as("a literal token in a template parameter").isFalse();
      }
    }
  }

  @Test
  void labelsReadLikeAConsoleForm() {
    assertThat(FlexTemplateMetadata.label("pulsarServiceUrl")).isEqualTo("Pulsar service URL");
    assertThat(FlexTemplateMetadata.label("cassandraLocalDc")).isEqualTo("Cassandra local DC");
    assertThat(FlexTemplateMetadata.label("bridgeId")).isEqualTo("Bridge ID");
  }
}
