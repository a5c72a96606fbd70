package dev.astrabridge.localstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.api.AuthenticationFactory;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.PulsarClientException;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The broker of the local stack: JWT authentication and authorization over pulsar+ssl with hostname verification. */
@ExtendWith(LocalStackExtension.class)
class PulsarStackIT {

  private static PulsarClient client(LocalStack stack, String tokenFileUrlOrNull) throws PulsarClientException {
    var builder = PulsarClient.builder()
        .serviceUrl(stack.pulsarServiceUrlTls())
        .tlsTrustCertsFilePath(stack.caCert().toString())
        .enableTlsHostnameVerification(true)
        .allowTlsInsecureConnection(false)
        .operationTimeout(10, TimeUnit.SECONDS);
    if (tokenFileUrlOrNull != null) {
      builder.authentication(AuthenticationFactory.token(() -> readToken(tokenFileUrlOrNull)));
    }
    return builder.build();
  }

  private static String readToken(String path) {
    try {
      return java.nio.file.Files.readString(java.nio.file.Path.of(path)).trim();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void clientTokenProducesAndConsumesOverTls(LocalStack stack) throws Exception {
    // given a topic in a namespace the client role may produce to and consume from
    String topic = stack.pulsarTopic("ingest", "stack-it-" + UUID.randomUUID());
    try (PulsarClient client = client(stack, stack.pulsarClientTokenFile().toString());
         Consumer<byte[]> consumer = client.newConsumer().topic(topic).subscriptionName("it")
             .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
         Producer<byte[]> producer = client.newProducer().topic(topic).create()) {
      // when
      producer.newMessage().key("k1").property("origin", "test").value("hello".getBytes(StandardCharsets.UTF_8)).send();
      Message<byte[]> received = consumer.receive(10, TimeUnit.SECONDS);
      // then
      assertThat(received).isNotNull();
      assertThat(new String(received.getValue(), StandardCharsets.UTF_8)).isEqualTo("hello");
      assertThat(received.getKey()).isEqualTo("k1");
      assertThat(received.getProperty("origin")).isEqualTo("test");
      consumer.acknowledge(received);
    }
  }

  @Test
  void partitionedTopicHasThreePartitions(LocalStack stack) throws Exception {
    try (PulsarClient client = client(stack, stack.pulsarClientTokenFile().toString())) {
      assertThat(client.getPartitionsForTopic(stack.pulsarTopic("ingest", "orders")).get(10, TimeUnit.SECONDS))
          .hasSize(3);
    }
  }

  @Test
  void noTokenIsRefused(LocalStack stack) throws Exception {
    try (PulsarClient client = client(stack, null)) {
      assertThatThrownBy(() -> client.newProducer(Schema.BYTES).topic(stack.pulsarTopic("ingest", "telemetry")).create())
          .isInstanceOf(PulsarClientException.AuthenticationException.class);
    }
  }

  @Test
  void tokenSignedByAnotherKeyIsRefused(LocalStack stack) throws Exception {
    try (PulsarClient client = client(stack, stack.pulsarForeignTokenFile().toString())) {
      assertThatThrownBy(() -> client.newProducer(Schema.BYTES).topic(stack.pulsarTopic("ingest", "telemetry")).create())
          .isInstanceOf(PulsarClientException.AuthenticationException.class);
    }
  }

  @Test
  void roleWithoutGrantIsRefused(LocalStack stack) throws Exception {
    try (PulsarClient client = client(stack, stack.pulsarOutsiderTokenFile().toString())) {
      assertThatThrownBy(() -> client.newProducer(Schema.BYTES).topic(stack.pulsarTopic("ingest", "telemetry")).create())
          .isInstanceOf(PulsarClientException.AuthorizationException.class);
      assertThatThrownBy(() -> client.newConsumer(Schema.BYTES).topic(stack.pulsarTopic("ingest", "telemetry"))
              .subscriptionName("outsider").subscribe())
          .isInstanceOf(PulsarClientException.AuthorizationException.class);
    }
  }

  @Test
  void untrustedServerCertificateIsRefused(LocalStack stack) throws Exception {
    // the JVM's default trust store does not hold the stack's CA: the TLS handshake must fail
    try (PulsarClient client = PulsarClient.builder().serviceUrl(stack.pulsarServiceUrlTls())
        .enableTlsHostnameVerification(true).operationTimeout(5, TimeUnit.SECONDS)
        .authentication(AuthenticationFactory.token(stack.pulsarClientToken())).build()) {
      assertThatThrownBy(() -> client.newProducer(Schema.BYTES).topic(stack.pulsarTopic("ingest", "telemetry")).create())
          .isInstanceOf(PulsarClientException.class);
    }
  }
}
