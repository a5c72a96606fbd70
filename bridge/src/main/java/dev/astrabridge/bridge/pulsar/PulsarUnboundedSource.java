package dev.astrabridge.bridge.pulsar;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.pulsar.client.api.PulsarClientException;
import org.apache.pulsar.client.api.SubscriptionType;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Unbounded source over a durable Pulsar subscription. {@link #split} resolves the topics' partitions (and checks
 * the token: a refused token fails the job at start with a clear error instead of a retry storm): Failover and
 * Exclusive subscriptions get one split per partition; Shared and Key_Shared get {@code readers} splits that all
 * consume every topic of the subscription.
 */
final class PulsarUnboundedSource extends UnboundedSource<PulsarMessage, PulsarCheckpointMark> {
  private static final long serialVersionUID = 1L;

  private final AstraStreamingIO.Read spec;
  /**
   * Null before splitting; afterwards the topics this split consumes (partition topics; empty for a pattern, which
   * the consumer resolves; empty for a split whose partitions the reader finds on the worker).
   */
  private final @Nullable List<String> assigned;
  private final int index;
  /** Splitting on workers: how many splits there are (this is split {@code index} of them); 0 otherwise. */
  private final int splitCount;

  PulsarUnboundedSource(AstraStreamingIO.Read spec, @Nullable List<String> assigned, int index) {
    this(spec, assigned, index, 0);
  }

  PulsarUnboundedSource(AstraStreamingIO.Read spec, @Nullable List<String> assigned, int index, int splitCount) {
    this.spec = spec;
    this.assigned = assigned;
    this.index = index;
    this.splitCount = splitCount;
  }

  /** Splitting on workers: how many splits share the topics (0: the partitions were assigned at split time). */
  int splitCount() {
    return splitCount;
  }

  AstraStreamingIO.Read spec() {
    return spec;
  }

  /** The topics of this split (after {@link #split}). */
  List<String> assigned() {
    return assigned;
  }

  int index() {
    return index;
  }

  @Override
  public List<PulsarUnboundedSource> split(int desiredNumSplits, PipelineOptions options) throws Exception {
    if (assigned != null) {
      return List.of(this);
    }
    List<PulsarUnboundedSource> splits = new ArrayList<>();
    if (spec.splitOnWorkers() && spec.topicsPattern() == null) {
      // nothing is asked of Pulsar here (this may run in a launcher without the token): readers find partitions
      int n = Math.max(1, spec.readers() > 0 ? spec.readers() : desiredNumSplits);
      for (int i = 0; i < n; i++) {
        splits.add(new PulsarUnboundedSource(spec, List.of(), i, n));
      }
      return splits;
    }
    if (spec.topicsPattern() != null) {
      // a pattern is resolved by the consumer itself (and follows new topics); Shared types fan out to readers
      int readers = isShared() ? Math.max(1, spec.readers() > 0 ? spec.readers() : desiredNumSplits) : 1;
      for (int i = 0; i < readers; i++) {
        splits.add(new PulsarUnboundedSource(spec, List.of(), i));
      }
      if (!spec.splitOnWorkers()) {
        checkAccess(null);
      }
      return splits;
    }
    List<String> partitions = checkAccess(spec.topics());
    if (isShared()) {
      int readers = Math.max(1, spec.readers() > 0 ? spec.readers() : Math.min(desiredNumSplits, Math.max(1, partitions.size())));
      for (int i = 0; i < readers; i++) {
        splits.add(new PulsarUnboundedSource(spec, List.copyOf(spec.topics()), i));
      }
    } else {
      for (int i = 0; i < partitions.size(); i++) {
        splits.add(new PulsarUnboundedSource(spec, List.of(partitions.get(i)), i));
      }
    }
    if (spec.startTimestamp() != null) {
      PulsarAdminRest admin = PulsarAdminRest.of(spec.connection());
      for (String topic : isShared() ? spec.topics() : partitions) {
        admin.createSubscriptionAt(topic, spec.subscription(), spec.startTimestamp().getMillis());
      }
    }
    return splits;
  }

  boolean isShared() {
    return spec.subscriptionType() == SubscriptionType.Shared || spec.subscriptionType() == SubscriptionType.Key_Shared;
  }

  /** Lists the partition topics (also proving the token is accepted); errors name the option to fix. */
  List<String> checkAccess(@Nullable List<String> topics) throws IOException {
    try (var lease = PulsarClients.acquire(spec.connection())) {
      List<String> partitions = new ArrayList<>();
      List<String> probe = topics != null ? topics : List.of(spec.topicsPattern().replaceAll("[^/]*$", "") + "__astra_bridge_probe");
      for (String topic : probe) {
        List<String> p = lease.get().getPartitionsForTopic(topic).get(30, TimeUnit.SECONDS);
        partitions.addAll(p);
      }
      return partitions;
    } catch (ExecutionException e) {
      throw accessError(e.getCause());
    } catch (PulsarClientException e) {
      throw accessError(e);
    } catch (TimeoutException e) {
      throw new IOException("Pulsar at " + spec.connection().serviceUrl() + " did not answer within 30 s (option"
          + " pulsarServiceUrl / withConnection)", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  IOException accessError(Throwable cause) {
    String token = spec.connection().token() == null ? "no token" : "the token " + spec.connection().token().describe();
    if (cause instanceof PulsarClientException.AuthenticationException) {
      return new IOException("Pulsar at " + spec.connection().serviceUrl() + " refused " + token
          + " (authentication failed: check the token option, e.g. --pulsarToken): " + cause.getMessage(), cause);
    }
    if (cause instanceof PulsarClientException.AuthorizationException) {
      return new IOException("Pulsar at " + spec.connection().serviceUrl() + " accepted " + token + " but its role may"
          + " not consume " + spec.describeTopics() + " (grant the role consume permission on the namespace): "
          + cause.getMessage(), cause);
    }
    return new IOException("cannot read Pulsar topics " + spec.describeTopics() + " at " + spec.connection().serviceUrl()
        + ": " + cause, cause);
  }

  @Override
  public PulsarUnboundedReader createReader(PipelineOptions options, @Nullable PulsarCheckpointMark checkpointMark) {
    if (assigned == null) {
      throw new IllegalStateException("createReader on an unsplit PulsarUnboundedSource");
    }
    return new PulsarUnboundedReader(this, checkpointMark);
  }

  @Override
  public Coder<PulsarCheckpointMark> getCheckpointMarkCoder() {
    return new PulsarCheckpointMark.Coder();
  }

  @Override
  public Coder<PulsarMessage> getOutputCoder() {
    return PulsarMessageCoder.of();
  }

  @Override
  public boolean requiresDeduping() {
    // redeliveries after a crash or an ack timeout are dropped by the runner, by message id
    return spec.runnerDeduplication();
  }
}
