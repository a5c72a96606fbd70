package dev.astrabridge.bridge.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.astrabridge.astradb.connect.SecretRef;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** SecretRef → ServiceLoader → GoogleSecretManagerResolver → Google's client → a FAKE Secret Manager gRPC server. */
class SecretManagerResolverWithFakeServiceTest {
  static FakeSecretManager fake;

  @BeforeAll
  static void start() throws Exception {
    fake = new FakeSecretManager();
    System.setProperty(GoogleSecretManagerResolver.ENDPOINT_PROPERTY, fake.endpoint());
  }

  @AfterAll
  static void stop() {
    System.clearProperty(GoogleSecretManagerResolver.ENDPOINT_PROPERTY);
    fake.close();
  }

  @Test
  void aSecretVersionReferenceIsResolvedThroughSecretManager() {
    fake.secrets.put("projects/p1/secrets/astra-token/versions/3", "AstraCS:abc:def\n".getBytes(StandardCharsets.UTF_8));
    SecretRef ref = SecretRef.of("projects/p1/secrets/astra-token/versions/3");

    assertThat(ref.kind()).isEqualTo(SecretRef.Kind.RESOLVER);
    assertThat(ref.resolve()).isEqualTo("AstraCS:abc:def");
    assertThat(fake.accessed).contains("projects/p1/secrets/astra-token/versions/3");
    assertThat(ref.toString()).isEqualTo("projects/p1/secrets/astra-token/versions/3").doesNotContain("AstraCS");
  }

  @Test
  void binarySecretsSuchAsABundleArriveByteForByte() {
    byte[] zip = {0x50, 0x4b, 0x03, 0x04, 0, (byte) 0xff, 7};
    fake.secrets.put("projects/p1/secrets/scb/versions/latest", zip);
    assertThat(SecretRef.of("projects/p1/secrets/scb/versions/latest").resolveBinary()).isEqualTo(zip);
  }

  @Test
  void aMissingSecretNamesTheReferenceAndTheRoleNeeded() {
    assertThatThrownBy(() -> SecretRef.of("projects/p1/secrets/nope/versions/1").resolve())
        .hasMessageContaining("secret projects/p1/secrets/nope/versions/1").hasMessageContaining("NOT_FOUND")
        .hasMessageContaining("roles/secretmanager.secretAccessor");
  }

  @Test
  void aCorruptedPayloadIsRefusedWithoutShowingIt() {
    fake.secrets.put("projects/p1/secrets/corrupt/versions/1", "AstraCS:topsecret".getBytes(StandardCharsets.UTF_8));
    fake.corruptChecksums = true;
    try {
      assertThatThrownBy(() -> SecretRef.of("projects/p1/secrets/corrupt/versions/1").resolve())
          .hasMessageContaining("CRC32C").satisfies(e -> assertThat(String.valueOf(e)).doesNotContain("topsecret"));
    } finally {
      fake.corruptChecksums = false;
    }
  }
}
