package dev.astrabridge.localstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.datastax.oss.driver.api.core.AllNodesFailedException;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.auth.AuthenticationException;
import com.datastax.oss.driver.api.core.metadata.Node;
import com.datastax.oss.driver.internal.core.metadata.SniEndPoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The Astra DB connection path with real parts: the driver reads the bundle zip, fetches /metadata over mutual TLS
 * from haproxy, then reaches Cassandra through the SNI proxy with TLS, authenticating as "token".
 */
@ExtendWith(LocalStackExtension.class)
class SecureConnectBundleIT {

  @Test
  void bundleAndTokenConnect(LocalStack stack) {
    try (CqlSession session = CqlSession.builder()
        .withCloudSecureConnectBundle(stack.secureConnectBundle())
        .withAuthCredentials("token", stack.astraToken())
        .build()) {
      assertThat(session.execute("SELECT cluster_name FROM system.local").one().getString(0))
          .isEqualTo("astra-bridge-local");
      // every node is reached through the proxy, by SNI
      assertThat(session.getMetadata().getNodes().values()).extracting(Node::getEndPoint)
          .allSatisfy(endPoint -> assertThat(endPoint).isInstanceOf(SniEndPoint.class));
    }
  }

  @Test
  void wrongTokenIsRefused(LocalStack stack) {
    assertThatThrownBy(() -> CqlSession.builder()
            .withCloudSecureConnectBundle(stack.secureConnectBundle())
            .withAuthCredentials("token", "AstraCS:wrong")
            .build().close())
        .isInstanceOf(AllNodesFailedException.class)
        .satisfies(e -> assertThat(((AllNodesFailedException) e).getAllErrors().values())
            .flatMap(list -> list)
            .hasAtLeastOneElementOfType(AuthenticationException.class));
  }
}
