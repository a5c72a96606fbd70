package dev.astrabridge.bench;

import com.google.api.gax.batching.FlowControlSettings;
import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.GrpcTransportChannel;
import com.google.api.gax.rpc.FixedTransportChannelProvider;
import com.google.cloud.pubsub.v1.MessageReceiver;
import com.google.cloud.pubsub.v1.Subscriber;
import com.google.cloud.pubsub.v1.stub.GrpcPublisherStub;
import com.google.cloud.pubsub.v1.stub.PublisherStubSettings;
import com.google.pubsub.v1.PublishRequest;
import com.google.pubsub.v1.PubsubMessage;
import dev.astrabridge.localstack.LocalStack;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.util.function.LongFunction;

/** The benchmarks' raw Pub/Sub clients against the emulator: a batch preloader and a streaming-pull subscriber. */
final class BenchPubsub {

  /** Publishes messages 0..n-1 into the topic, 1,000 per Publish call. */
  static void preload(LocalStack stack, String topic, long n, LongFunction<PubsubMessage> message) throws Exception {
    ManagedChannel channel = ManagedChannelBuilder.forTarget(stack.pubsubEmulatorHost()).usePlaintext().build();
    try (GrpcPublisherStub stub = GrpcPublisherStub.create(PublisherStubSettings.newBuilder()
        .setTransportChannelProvider(FixedTransportChannelProvider.create(GrpcTransportChannel.create(channel)))
        .setCredentialsProvider(NoCredentialsProvider.create()).build())) {
      for (long block = 0; block < n; block += 1000) {
        PublishRequest.Builder request = PublishRequest.newBuilder().setTopic(topic);
        for (long i = block; i < Math.min(n, block + 1000); i++) {
          request.addMessages(message.apply(i));
        }
        stub.publishCallable().call(request.build());
      }
    } finally {
      channel.shutdownNow();
    }
    System.out.printf("  preloaded %,d messages into %s%n", n, topic);
  }

  /** A started streaming-pull subscriber (2 streams, up to 10,000 messages outstanding) on the channel. */
  static Subscriber subscribe(ManagedChannel channel, String subscription, MessageReceiver receiver) {
    Subscriber subscriber = Subscriber.newBuilder(subscription, receiver)
        .setChannelProvider(FixedTransportChannelProvider.create(GrpcTransportChannel.create(channel)))
        .setCredentialsProvider(NoCredentialsProvider.create())
        .setFlowControlSettings(FlowControlSettings.newBuilder().setMaxOutstandingElementCount(10_000L).build())
        .setParallelPullCount(2)
        .build();
    subscriber.startAsync().awaitRunning();
    return subscriber;
  }

  private BenchPubsub() {}
}
