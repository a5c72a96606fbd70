package dev.astrabridge.localstack;

import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.GrpcTransportChannel;
import com.google.api.gax.rpc.FixedTransportChannelProvider;
import com.google.cloud.pubsub.v1.Publisher;
import com.google.cloud.pubsub.v1.stub.GrpcSubscriberStub;
import com.google.cloud.pubsub.v1.stub.SubscriberStubSettings;
import com.google.protobuf.ByteString;
import com.google.pubsub.v1.AcknowledgeRequest;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.PullRequest;
import com.google.pubsub.v1.ReceivedMessage;
import com.google.pubsub.v1.SubscriptionName;
import com.google.pubsub.v1.TopicName;
import dev.astrabridge.schemas.events.DeviceTelemetry;
import dev.astrabridge.schemas.events.GeoPoint;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.api.AuthenticationFactory;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;

/**
 * Smoke run of the local stack: publishes one sample DeviceTelemetry event (Avro single-object encoding) to Astra
 * Streaming (Pulsar, token + TLS) and to Pub/Sub (emulator), reads both back and decodes them. Exits non-zero if
 * either round trip fails. Stands in for the ingest job until that lands.
 */
public final class SmokeRun {
  public static void main(String[] args) throws Exception {
    LocalStack stack = LocalStack.get();
    DeviceTelemetry event = DeviceTelemetry.newBuilder()
        .setEventId(UUID.randomUUID()).setDeviceId("smoke-device").setReadingTime(Instant.now().truncatedTo(ChronoUnit.MILLIS))
        .setTemperatureC(21.5).setHumidityPct(40f).setBatteryMv(3650)
        .setLocation(GeoPoint.newBuilder().setLat(52.52).setLon(13.40).build())
        .setFirmware("smoke-1").setFlags(List.of()).setMetrics(Map.of("rssi", -60.0)).setIpAddress(null).setTtlSeconds(null)
        .build();
    byte[] payload = toBytes(event.toByteBuffer());

    DeviceTelemetry fromPulsar = viaPulsar(stack, payload);
    System.out.printf("pulsar : %s -> %s device=%s temperature=%.1f%n", stack.pulsarServiceUrlTls(),
        fromPulsar.getEventId(), fromPulsar.getDeviceId(), fromPulsar.getTemperatureC());
    DeviceTelemetry fromPubsub = viaPubsub(stack, payload);
    System.out.printf("pubsub : %s -> %s device=%s temperature=%.1f%n", stack.pubsubEmulatorHost(),
        fromPubsub.getEventId(), fromPubsub.getDeviceId(), fromPubsub.getTemperatureC());
    if (!event.equals(fromPulsar) || !event.equals(fromPubsub)) {
      System.err.println("smoke run FAILED: an event came back different");
      System.exit(1);
    }
    System.out.println("smoke run OK: the sample event went through Pulsar and Pub/Sub unchanged");
    System.exit(0);
  }

  private static DeviceTelemetry viaPulsar(LocalStack stack, byte[] payload) throws Exception {
    String topic = stack.pulsarTopic("ingest", "telemetry");
    try (PulsarClient client = PulsarClient.builder().serviceUrl(stack.pulsarServiceUrlTls())
            .tlsTrustCertsFilePath(stack.caCert().toString()).enableTlsHostnameVerification(true)
            .authentication(AuthenticationFactory.token(stack::pulsarClientToken)).build();
         Consumer<byte[]> consumer = client.newConsumer().topic(topic).subscriptionName("smoke-" + UUID.randomUUID())
             .subscriptionInitialPosition(SubscriptionInitialPosition.Latest).subscribe();
         Producer<byte[]> producer = client.newProducer().topic(topic).create()) {
      producer.newMessage().key("smoke-device").value(payload).send();
      Message<byte[]> message = consumer.receive(30, TimeUnit.SECONDS);
      if (message == null) {
        throw new IllegalStateException("nothing came back from Pulsar topic " + topic + " in 30 s");
      }
      consumer.acknowledge(message);
      consumer.unsubscribe();
      return DeviceTelemetry.fromByteBuffer(ByteBuffer.wrap(message.getValue()));
    }
  }

  private static DeviceTelemetry viaPubsub(LocalStack stack, byte[] payload) throws Exception {
    ManagedChannel channel = ManagedChannelBuilder.forTarget(stack.pubsubEmulatorHost()).usePlaintext().build();
    try {
      var channels = FixedTransportChannelProvider.create(GrpcTransportChannel.create(channel));
      var noCredentials = NoCredentialsProvider.create();
      Publisher publisher = Publisher.newBuilder(TopicName.of(stack.pubsubProject(), "telemetry"))
          .setChannelProvider(channels).setCredentialsProvider(noCredentials).build();
      String id = publisher.publish(PubsubMessage.newBuilder().setData(ByteString.copyFrom(payload))
          .putAttributes("source", "smoke").build()).get(30, TimeUnit.SECONDS);
      publisher.shutdown();
      String subscription = SubscriptionName.of(stack.pubsubProject(), "telemetry-sub").toString();
      try (GrpcSubscriberStub subscriber = GrpcSubscriberStub.create(SubscriberStubSettings.newBuilder()
          .setTransportChannelProvider(channels).setCredentialsProvider(noCredentials).build())) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
          for (ReceivedMessage received : subscriber.pullCallable().call(PullRequest.newBuilder()
              .setSubscription(subscription).setMaxMessages(100).build()).getReceivedMessagesList()) {
            subscriber.acknowledgeCallable().call(AcknowledgeRequest.newBuilder().setSubscription(subscription)
                .addAckIds(received.getAckId()).build());
            if (received.getMessage().getMessageId().equals(id)) {
              return DeviceTelemetry.fromByteBuffer(received.getMessage().getData().asReadOnlyByteBuffer());
            }
          }
        }
      }
      throw new IllegalStateException("message " + id + " did not come back from Pub/Sub in 30 s");
    } finally {
      channel.shutdownNow();
    }
  }

  private static byte[] toBytes(ByteBuffer buffer) {
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    return bytes;
  }

  private SmokeRun() {}
}
