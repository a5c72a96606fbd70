package dev.astrabridge.localstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.datastax.oss.driver.api.core.AllNodesFailedException;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.auth.AuthenticationException;
import com.datastax.oss.driver.api.core.metadata.schema.KeyspaceMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The Cassandra 5 node of the local stack: the Astra-style role "token" and the schema from schemas/. */
@ExtendWith(LocalStackExtension.class)
class CassandraStackIT {

  private static CqlSession connect(LocalStack stack, String password) {
    return CqlSession.builder()
        .addContactPoint(stack.cassandraContactPoint())
        .withLocalDatacenter(stack.cassandraLocalDc())
        .withAuthCredentials("token", password)
        .build();
  }

  @Test
  void tokenRoleLogsIn(LocalStack stack) {
    try (CqlSession session = connect(stack, stack.astraToken())) {
      assertThat(session.execute("SELECT release_version FROM system.local").one().getString(0)).startsWith("5.0");
    }
  }

  @Test
  void wrongPasswordIsRefused(LocalStack stack) {
    assertThatThrownBy(() -> connect(stack, "AstraCS:not-the-token").close())
        .isInstanceOf(AllNodesFailedException.class)
        .satisfies(e -> assertThat(((AllNodesFailedException) e).getAllErrors().values())
            .flatMap(list -> list)
            .hasAtLeastOneElementOfType(AuthenticationException.class));
  }

  @Test
  void schemaTablesExist(LocalStack stack) {
    try (CqlSession session = connect(stack, stack.astraToken())) {
      KeyspaceMetadata ks = session.getMetadata().getKeyspace(stack.keyspace()).orElseThrow();
      assertThat(ks.getTables().keySet()).extracting(Object::toString)
          .contains("orders", "orders_by_customer", "device_telemetry", "dead_letter");
      assertThat(ks.getUserDefinedTypes().keySet()).extracting(Object::toString)
          .contains("address", "line_item", "geo_point");
      assertThat(ks.getTable("orders_by_customer").orElseThrow().getClusteringColumns()).hasSize(2);
    }
  }
}
