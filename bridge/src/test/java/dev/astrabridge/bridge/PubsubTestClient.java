package dev.astrabridge.bridge;

import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.GrpcTransportChannel;
import com.google.api.gax.rpc.FixedTransportChannelProvider;
import com.google.api.gax.rpc.TransportChannelProvider;
import com.google.cloud.pubsub.v1.SubscriptionAdminClient;
import com.google.cloud.pubsub.v1.SubscriptionAdminSettings;
import com.google.cloud.pubsub.v1.TopicAdminClient;
import com.google.cloud.pubsub.v1.TopicAdminSettings;
import com.google.cloud.pubsub.v1.stub.GrpcSubscriberStub;
import com.google.cloud.pubsub.v1.stub.SubscriberStubSettings;
import com.google.pubsub.v1.AcknowledgeRequest;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.PullRequest;
import com.google.pubsub.v1.ReceivedMessage;
import com.google.pubsub.v1.Subscription;
import com.google.pubsub.v1.TopicName;
import dev.astrabridge.localstack.LocalStack;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The Pub/Sub emulator of the local stack through Google's client: topics, subscriptions, publish, pull. */
public final class PubsubTestClient implements AutoCloseable {
  private final LocalStack stack;
  private final ManagedChannel channel;
  private final TransportChannelProvider channels;
  private final TopicAdminClient topics;
  private final SubscriptionAdminClient subscriptions;
  private final GrpcSubscriberStub subscriber;

  public PubsubTestClient(LocalStack stack) throws IOException {
    this.stack = stack;
    channel = ManagedChannelBuilder.forTarget(stack.pubsubEmulatorHost()).usePlaintext()
        .maxInboundMessageSize(64 << 20).build();
    channels = FixedTransportChannelProvider.create(GrpcTransportChannel.create(channel));
    NoCredentialsProvider none = NoCredentialsProvider.create();
    topics = TopicAdminClient.create(TopicAdminSettings.newBuilder().setTransportChannelProvider(channels)
        .setCredentialsProvider(none).build());
    subscriptions = SubscriptionAdminClient.create(SubscriptionAdminSettings.newBuilder()
        .setTransportChannelProvider(channels).setCredentialsProvider(none).build());
    subscriber = GrpcSubscriberStub.create(SubscriberStubSettings.newBuilder().setTransportChannelProvider(channels)
        .setCredentialsProvider(none).build());
  }

  public String rootUrl() {
    return "http://" + stack.pubsubEmulatorHost();
  }

  public String topic(String name) {
    return TopicName.of(stack.pubsubProject(), name).toString();
  }

  public String subscription(String name) {
    return "projects/" + stack.pubsubProject() + "/subscriptions/" + name;
  }

  /** Creates the topic and, for each name, an ordered subscription on it (ack deadline 60 s). */
  public String createTopic(String name, String... subscriptionNames) {
    return createTopic(name, 60, subscriptionNames);
  }

  /** Creates the topic and, for each name, an ordered subscription with this ack deadline. */
  public String createTopic(String name, int ackDeadlineSeconds, String... subscriptionNames) {
    String topic = topics.createTopic(topic(name)).getName();
    for (String s : subscriptionNames) {
      addSubscription(topic, s, ackDeadlineSeconds, true);
    }
    return topic;
  }

  /** Adds a subscription to an existing topic. */
  public void addSubscription(String topic, String name, int ackDeadlineSeconds, boolean ordered) {
    subscriptions.createSubscription(Subscription.newBuilder().setName(subscription(name)).setTopic(topic)
        .setAckDeadlineSeconds(ackDeadlineSeconds).setEnableMessageOrdering(ordered).build());
  }

  /**
   * Deletes the subscriptions, then the topic (full path names): the emulator keeps every backlog in its heap, so a
   * benchmark drops what a round made.
   */
  public void delete(String topic, String... subscriptionPaths) {
    for (String s : subscriptionPaths) {
      subscriptions.deleteSubscription(s);
    }
    topics.deleteTopic(topic);
  }

  /**
   * Publishes all messages, one synchronous Publish call each, in list order (so per ordering key too). Not through
   * the client's ordered Publisher: against the emulator it throws ConcurrentModificationException or hangs a future
   * (googleapis/java-pubsub#2377, google-cloud-pubsub 1.143).
   */
  public List<String> publishAll(String topic, List<PubsubMessage> messages) throws Exception {
    try (com.google.cloud.pubsub.v1.stub.GrpcPublisherStub stub = com.google.cloud.pubsub.v1.stub.GrpcPublisherStub.create(
        com.google.cloud.pubsub.v1.stub.PublisherStubSettings.newBuilder().setTransportChannelProvider(channels)
            .setCredentialsProvider(NoCredentialsProvider.create()).build())) {
      List<String> ids = new ArrayList<>();
      for (PubsubMessage m : messages) {
        ids.add(stub.publishCallable().call(com.google.pubsub.v1.PublishRequest.newBuilder().setTopic(topic)
            .addMessages(m).build()).getMessageIds(0));
      }
      return ids;
    }
  }

  /**
   * Pulls (and acknowledges) until {@code n} messages arrived, or nothing new came for {@code quietSeconds} after
   * that, or {@code timeoutSeconds} passed; returns them in delivery order. Pulling past n shows extra copies.
   */
  public List<PubsubMessage> pull(String subscription, int n, long timeoutSeconds, long quietSeconds) {
    List<PubsubMessage> received = new ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    long lastNew = System.nanoTime();
    while (System.nanoTime() < deadline) {
      if (received.size() >= n && System.nanoTime() - lastNew > TimeUnit.SECONDS.toNanos(quietSeconds)) {
        break;
      }
      // returnImmediately: the emulator holds a waiting pull for about a minute even when messages arrive meanwhile
      @SuppressWarnings("deprecation")
      List<ReceivedMessage> got = subscriber.pullCallable().call(PullRequest.newBuilder().setSubscription(subscription)
          .setMaxMessages(1000).setReturnImmediately(true).build()).getReceivedMessagesList();
      if (got.isEmpty()) {
        try {
          Thread.sleep(200);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
        continue;
      }
      AcknowledgeRequest.Builder ack = AcknowledgeRequest.newBuilder().setSubscription(subscription);
      for (ReceivedMessage m : got) {
        received.add(m.getMessage());
        ack.addAckIds(m.getAckId());
      }
      subscriber.acknowledgeCallable().call(ack.build());
      lastNew = System.nanoTime();
    }
    return received;
  }

  @Override
  public void close() {
    subscriber.close();
    subscriptions.close();
    topics.close();
    channel.shutdownNow();
  }
}
