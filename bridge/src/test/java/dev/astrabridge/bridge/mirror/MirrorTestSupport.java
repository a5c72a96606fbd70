package dev.astrabridge.bridge.mirror;

import dev.astrabridge.bridge.BridgeMain;
import dev.astrabridge.bridge.options.BridgeOptions;
import dev.astrabridge.localstack.LocalStack;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.PulsarClientException;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;

/** Shared by the mirror tests: the job's options on the local stack, a Pulsar client, draining a topic. */
final class MirrorTestSupport {

  /** The mirror job's arguments on the local stack (Flink embedded, checkpoints every 2 s) plus {@code extra}. */
  static List<String> args(LocalStack stack, String... extra) {
    List<String> args = new ArrayList<>(List.of(
        "--runner=FlinkRunner", "--parallelism=2", "--checkpointingInterval=2000", "--attachedMode=false",
        "--mode=mirror",
        "--pulsarServiceUrl=" + stack.pulsarServiceUrlTls(), "--pulsarAdminUrl=" + stack.pulsarAdminUrl(),
        "--pulsarToken=file:" + stack.pulsarClientTokenFile(), "--pulsarTlsTrustCerts=" + stack.caCert(),
        "--pubsubRootUrl=http://" + stack.pubsubEmulatorHost(),
        "--credentialFactoryClass=org.apache.beam.sdk.extensions.gcp.auth.NoopCredentialFactory",
        "--project=" + stack.pubsubProject()));
    args.addAll(List.of(extra));
    return args;
  }

  static BridgeOptions options(LocalStack stack, String... extra) {
    return PipelineOptionsFactory.fromArgs(args(stack, extra).toArray(String[]::new)).withValidation()
        .as(BridgeOptions.class);
  }

  static org.apache.beam.sdk.PipelineResult run(LocalStack stack, String... extra) {
    return BridgeMain.run(options(stack, extra));
  }

  /** Creates mirror/NAME with {@code partitions} partitions (the stack does not create topics on use). */
  static String partitionedTopic(LocalStack stack, String name, int partitions) {
    String topic = stack.pulsarTopic("mirror", name);
    stack.createPartitionedTopic(topic, partitions);
    return topic;
  }

  static PulsarClient client(LocalStack stack) throws PulsarClientException {
    return dev.astrabridge.bridge.pulsar.PulsarTestSupport.client(stack);
  }

  /**
   * Reads the topic from the earliest message through a fresh subscription until {@code n} messages arrived and then
   * nothing more for {@code quietSeconds} (so extra copies show), or the timeout passed; in delivery order.
   */
  static List<Message<byte[]>> drain(PulsarClient client, String topic, int n, long timeoutSeconds, long quietSeconds)
      throws PulsarClientException {
    List<Message<byte[]>> out = new ArrayList<>();
    try (Consumer<byte[]> consumer = client.newConsumer().topic(topic).subscriptionName("verify-" + System.nanoTime())
        .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).receiverQueueSize(2000).subscribe()) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
      while (System.nanoTime() < deadline) {
        Message<byte[]> m = consumer.receive(out.size() >= n ? (int) quietSeconds : 1, TimeUnit.SECONDS);
        if (m == null) {
          if (out.size() >= n) {
            break;
          }
          continue;
        }
        out.add(m);
        consumer.acknowledge(m);
      }
    }
    return out;
  }

  private MirrorTestSupport() {}
}
