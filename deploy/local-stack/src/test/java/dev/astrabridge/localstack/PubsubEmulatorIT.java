package dev.astrabridge.localstack;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.GrpcTransportChannel;
import com.google.api.gax.rpc.FixedTransportChannelProvider;
import com.google.api.gax.rpc.TransportChannelProvider;
import com.google.cloud.pubsub.v1.Publisher;
import com.google.cloud.pubsub.v1.TopicAdminClient;
import com.google.cloud.pubsub.v1.TopicAdminSettings;
import com.google.cloud.pubsub.v1.SubscriptionAdminClient;
import com.google.cloud.pubsub.v1.SubscriptionAdminSettings;
import com.google.cloud.pubsub.v1.stub.GrpcSubscriberStub;
import com.google.cloud.pubsub.v1.stub.SubscriberStubSettings;
import com.google.protobuf.ByteString;
import com.google.pubsub.v1.AcknowledgeRequest;
import com.google.pubsub.v1.PullRequest;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.ReceivedMessage;
import com.google.pubsub.v1.PushConfig;
import com.google.pubsub.v1.SubscriptionName;
import com.google.pubsub.v1.TopicName;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Google's Pub/Sub emulator of the local stack, through the official client on a plaintext channel. */
@ExtendWith(LocalStackExtension.class)
class PubsubEmulatorIT {

  @Test
  void publishAndPullWithAttributes(LocalStack stack) throws Exception {
    ManagedChannel channel = ManagedChannelBuilder.forTarget(stack.pubsubEmulatorHost()).usePlaintext().build();
    TransportChannelProvider channels = FixedTransportChannelProvider.create(GrpcTransportChannel.create(channel));
    NoCredentialsProvider noCredentials = NoCredentialsProvider.create();
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    TopicName topic = TopicName.of(stack.pubsubProject(), "stack-it-" + suffix);
    SubscriptionName subscription = SubscriptionName.of(stack.pubsubProject(), "stack-it-sub-" + suffix);
    try (TopicAdminClient topics = TopicAdminClient.create(TopicAdminSettings.newBuilder()
            .setTransportChannelProvider(channels).setCredentialsProvider(noCredentials).build());
         SubscriptionAdminClient subscriptions = SubscriptionAdminClient.create(SubscriptionAdminSettings.newBuilder()
            .setTransportChannelProvider(channels).setCredentialsProvider(noCredentials).build());
         GrpcSubscriberStub subscriber = GrpcSubscriberStub.create(SubscriberStubSettings.newBuilder()
            .setTransportChannelProvider(channels).setCredentialsProvider(noCredentials).build())) {
      topics.createTopic(topic);
      subscriptions.createSubscription(subscription, topic, PushConfig.getDefaultInstance(), 30);

      // when a message with attributes is published
      Publisher publisher = Publisher.newBuilder(topic).setChannelProvider(channels)
          .setCredentialsProvider(noCredentials).build();
      String id = publisher.publish(PubsubMessage.newBuilder().setData(ByteString.copyFromUtf8("payload"))
          .putAttributes("origin", "stack-it").putAttributes("event_time", "2026-11-26T00:00:00Z").build())
          .get(10, TimeUnit.SECONDS);
      publisher.shutdown();
      publisher.awaitTermination(10, TimeUnit.SECONDS);

      // then it is pulled with its data, attributes and id
      List<ReceivedMessage> received = new ArrayList<>();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (received.isEmpty() && System.nanoTime() < deadline) {
        received.addAll(subscriber.pullCallable().call(PullRequest.newBuilder()
            .setSubscription(subscription.toString()).setMaxMessages(10).build()).getReceivedMessagesList());
      }
      assertThat(received).hasSize(1);
      PubsubMessage message = received.get(0).getMessage();
      assertThat(message.getMessageId()).isEqualTo(id);
      assertThat(message.getData().toStringUtf8()).isEqualTo("payload");
      assertThat(message.getAttributesMap()).containsEntry("origin", "stack-it")
          .containsEntry("event_time", "2026-11-26T00:00:00Z");
      subscriber.acknowledgeCallable().call(AcknowledgeRequest.newBuilder()
          .setSubscription(subscription.toString()).addAckIds(received.get(0).getAckId()).build());
      subscriptions.deleteSubscription(subscription);
      topics.deleteTopic(topic);
    } finally {
      channel.shutdownNow();
    }
  }
}
