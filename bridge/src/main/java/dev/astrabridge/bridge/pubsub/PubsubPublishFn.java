package dev.astrabridge.bridge.pubsub;

import com.google.api.core.ApiFuture;
import com.google.api.core.ApiFutureCallback;
import com.google.api.core.ApiFutures;
import com.google.api.gax.batching.BatchingSettings;
import com.google.api.gax.batching.FlowControlSettings;
import com.google.api.gax.batching.FlowController;
import com.google.api.gax.rpc.ApiException;
import com.google.api.gax.rpc.StatusCode;
import com.google.cloud.pubsub.v1.Publisher;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.protobuf.ByteString;
import com.google.pubsub.v1.PubsubMessage;
import dev.astrabridge.astradb.connect.SharedPerJvm;
import dev.astrabridge.bridge.metrics.StageMeters;
import dev.astrabridge.bridge.publish.UnsettledSends;
import dev.astrabridge.schemas.envelope.BridgeMessage;
import dev.astrabridge.schemas.envelope.DeadLetter;
import dev.astrabridge.schemas.envelope.DeadLetters;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.TupleTag;
import org.joda.time.Instant;

/** Publishes with shared async publishers and waits for every acknowledgement at the end of the bundle. */
final class PubsubPublishFn extends DoFn<BridgeMessage, Void> {
  private static final long serialVersionUID = 1L;

  /** Publishers per worker JVM, endpoint, topic and ordering, closed with their last user. */
  static final SharedPerJvm<Publisher> PUBLISHERS = new SharedPerJvm<>(PubsubPublishFn::shutdown, 0);

  private final PubsubWrite spec;
  private final SerializableFunction<BridgeMessage, String> topicFn;
  private final TupleTag<DeadLetter> deadLetterTag;
  private final StageMeters.Count published;
  private final StageMeters.Count deadLettered;
  private final StageMeters.Latency latency;

  private transient Map<String, SharedPerJvm<Publisher>.Lease> publishers;
  /** Publishes of this bundle not yet settled (at most about 2 × maxUnsettled). */
  private transient UnsettledSends<Pending> sends;
  /** Publishes of this bundle that failed, retried or dead-lettered when the bundle finishes (in publish order). */
  private transient List<Pending> failed;

  private static final class Pending {
    final BridgeMessage message;
    final PubsubMessage pubsub;
    final String topic;
    final Instant timestamp;
    final BoundedWindow window;
    ApiFuture<String> future;
    /** How the last attempt failed, once settled as failed. */
    Throwable error;
    int attempts = 1;
    /** When Pub/Sub acknowledged it (set by the acknowledgement callback), 0 before. */
    volatile long ackedAtMillis;

    Pending(BridgeMessage message, PubsubMessage pubsub, String topic, Instant timestamp, BoundedWindow window) {
      this.message = message;
      this.pubsub = pubsub;
      this.topic = topic;
      this.timestamp = timestamp;
      this.window = window;
    }
  }

  PubsubPublishFn(PubsubWrite spec, TupleTag<DeadLetter> deadLetterTag) {
    this.spec = spec;
    this.topicFn = spec.resolveTopic();
    this.deadLetterTag = deadLetterTag;
    this.published = spec.meters().counter("published");
    this.deadLettered = spec.meters().counter("dead_lettered");
    this.latency = spec.meters().latency("relay_latency");
  }

  @Setup
  public void setup() {
    publishers = new HashMap<>();
  }

  @StartBundle
  public void startBundle() {
    sends = new UnsettledSends<>(spec.maxUnsettled(), p -> outcome(p.future), this::settled);
    failed = new ArrayList<>();
  }

  private Publisher publisher(String topic) {
    SharedPerJvm<Publisher>.Lease lease = publishers.get(topic);
    if (lease == null) {
      String key = spec.connection().endpoint() + "|" + topic + "|" + spec.ordering() + "|" + spec.batchingMaxMessages()
          + "|" + spec.batchingMaxDelay().getMillis();
      lease = PUBLISHERS.acquire(key, () -> open(topic));
      publishers.put(topic, lease);
    }
    return lease.get();
  }

  private Publisher open(String topic) {
    try {
      return spec.connection().publisher(topic)
          .setEnableMessageOrdering(spec.ordering())
          .setBatchingSettings(BatchingSettings.newBuilder()
              .setElementCountThreshold((long) spec.batchingMaxMessages())
              .setRequestByteThreshold(5_000_000L)
              .setDelayThresholdDuration(java.time.Duration.ofMillis(Math.max(1, spec.batchingMaxDelay().getMillis())))
              // bounded memory whatever the bundle size: publish() waits while this much is unacknowledged
              .setFlowControlSettings(FlowControlSettings.newBuilder()
                  .setMaxOutstandingRequestBytes(MAX_OUTSTANDING_BYTES)
                  .setMaxOutstandingElementCount(MAX_OUTSTANDING_MESSAGES) // the client requires both limits
                  .setLimitExceededBehavior(FlowController.LimitExceededBehavior.Block).build())
              .build())
          .build();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a Pub/Sub publisher for " + topic + " at " + spec.connection(), e);
    }
  }

  private static void shutdown(Publisher publisher) {
    publisher.shutdown();
    try {
      publisher.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @ProcessElement
  public void process(@Element BridgeMessage message, @Timestamp Instant timestamp, BoundedWindow window,
                      MultiOutputReceiver out) throws Exception {
    String topic;
    try {
      topic = topicFn.apply(message);
      if (!publishers.containsKey(topic)) { // checked once per topic, not per message
        PubsubWrite.checkTopic(topic);
      }
    } catch (RuntimeException e) {
      out.get(deadLetterTag).output(DeadLetters.builder(message, DeadLetters.RELAY, "no Pub/Sub topic for this message: "
          + DeadLetters.describe(e)).setTarget(spec.topic()).build());
      deadLettered.inc();
      return;
    }
    // the attributes go straight into the message builder: no copy of the envelope's map per message
    PubsubMessage.Builder pubsub = PubsubMessage.newBuilder().putAllAttributes(message.getAttributes());
    if (spec.eventTimeAttribute() != null && message.getEventTime() != null
        && !pubsub.containsAttributes(spec.eventTimeAttribute())) {
      pubsub.putAttributes(spec.eventTimeAttribute(), message.getEventTime().toString());
    }
    String orderingKey = null;
    if (spec.ordering()) {
      orderingKey = message.getOrderingKey() != null ? message.getOrderingKey() : message.getKey();
    }
    String violation = PubsubLimits.violation(message.getPayload().remaining(), pubsub.getAttributesMap(), orderingKey);
    if (violation != null) {
      out.get(deadLetterTag).output(DeadLetters.builder(message, DeadLetters.RELAY, violation).setTarget(topic).build());
      deadLettered.inc();
      return;
    }
    pubsub.setData(ByteString.copyFrom(message.getPayload().duplicate()));
    if (orderingKey != null && !orderingKey.isEmpty()) {
      pubsub.setOrderingKey(orderingKey);
    }
    Pending p = new Pending(message, pubsub.build(), topic, timestamp, window);
    send(publisher(topic), p);
    sends.add(p);
  }

  /** A publish settled (in publish order): counted when acknowledged, set aside for {@link #finishBundle} if failed. */
  private void settled(Pending p, Throwable error) {
    if (error == null) {
      acknowledged(p);
    } else {
      p.error = error;
      failed.add(p);
    }
  }

  /** The Beam halves of an acknowledged publish (the Micrometer halves were taken by its callback). */
  private void acknowledged(Pending p) {
    published.incBeam();
    if (p.message.getPublishTime() != null) {
      long acked = p.ackedAtMillis > 0 ? p.ackedAtMillis : System.currentTimeMillis(); // callback may lag get()
      latency.recordBeamMillis(acked - p.message.getPublishTime().toEpochMilli());
    }
  }

  /**
   * Publishes; the acknowledgement is counted (Micrometer) and its latency taken when it arrives, not when the bundle
   * ends: a bundle can stay open up to the runner's bundle time (1 s on Flink) after its last publish.
   */
  private void send(Publisher publisher, Pending p) {
    p.future = publisher.publish(p.pubsub);
    ApiFutures.addCallback(p.future, new ApiFutureCallback<>() {
      @Override
      public void onSuccess(String id) {
        p.ackedAtMillis = System.currentTimeMillis();
        published.incMeter();
        if (p.message.getPublishTime() != null) {
          latency.recordMeterMillis(p.ackedAtMillis - p.message.getPublishTime().toEpochMilli());
        }
      }

      @Override
      public void onFailure(Throwable t) {
        // retried or dead-lettered by finishBundle
      }
    }, MoreExecutors.directExecutor());
  }

  @FinishBundle
  public void finishBundle(FinishBundleContext context) throws Exception {
    publishAllOutstanding();
    sends.settleAll();
    while (!failed.isEmpty()) {
      List<Pending> again = failed;
      failed = new ArrayList<>();
      List<Pending> retried = new ArrayList<>();
      for (Pending p : again) { // in publish order, so per-key order holds: a failed key is paused until resumed
        if (p.attempts < spec.maxAttempts() && retryable(p.error)) {
          Publisher publisher = publisher(p.topic);
          if (!p.pubsub.getOrderingKey().isEmpty()) {
            publisher.resumePublish(p.pubsub.getOrderingKey());
          }
          p.attempts++;
          send(publisher, p);
          retried.add(p);
        } else {
          context.output(deadLetterTag, DeadLetters.builder(p.message, DeadLetters.RELAY, "publish to " + p.topic
              + " failed after " + p.attempts + " attempt(s): " + DeadLetters.describe(p.error))
              .setTarget(p.topic).setAttempts(p.attempts).build(), p.timestamp, p.window);
          deadLettered.inc();
        }
      }
      publishAllOutstanding();
      // awaited only once all are published: a retry still in flight when its key is resumed for the next one made
      // the ordered publisher lose a future (hung 120 s against the emulator, googleapis/java-pubsub#2377)
      for (Pending p : retried) {
        sends.add(p);
      }
      sends.settleAll();
    }
  }

  /** Sends the publishers' partial batches now: the bundle waits for them, not for their batching delay. */
  private void publishAllOutstanding() {
    for (SharedPerJvm<Publisher>.Lease lease : publishers.values()) {
      lease.get().publishAllOutstanding();
    }
  }

  private static boolean retryable(Throwable error) {
    if (error instanceof ApiException) {
      StatusCode.Code code = ((ApiException) error).getStatusCode().getCode();
      return code != StatusCode.Code.INVALID_ARGUMENT && code != StatusCode.Code.NOT_FOUND
          && code != StatusCode.Code.PERMISSION_DENIED;
    }
    return true;
  }

  /**
   * Waits for one acknowledgement. A publish that never completes (google-cloud-pubsub's ordered publisher can lose a
   * batch's callback: googleapis/java-pubsub#2377, seen here against the emulator) fails the bundle after
   * {@link #ACK_TIMEOUT_SECONDS}: nothing is acknowledged at the source, the runner retries, and the stuck publisher
   * is closed with the failed DoFn instance.
   */
  private static Throwable outcome(ApiFuture<String> future) throws InterruptedException {
    try {
      future.get(ACK_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      return null;
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("Pub/Sub did not acknowledge a publish within " + ACK_TIMEOUT_SECONDS
          + " s; failing the bundle so the runner retries it (the source acknowledges nothing of it)", e);
    }
  }

  static final long ACK_TIMEOUT_SECONDS = 120;
  /** Unacknowledged bytes per publisher (one per worker JVM and topic) before publish() waits. */
  static final long MAX_OUTSTANDING_BYTES = 256L << 20;
  static final long MAX_OUTSTANDING_MESSAGES = 1_000_000;

  @Teardown
  public void teardown() {
    if (publishers != null) {
      publishers.values().forEach(SharedPerJvm.Lease::close);
      publishers.clear();
    }
  }
}
