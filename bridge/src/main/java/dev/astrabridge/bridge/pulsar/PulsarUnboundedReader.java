package dev.astrabridge.bridge.pulsar;

import dev.astrabridge.astradb.connect.SharedPerJvm;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.ConsumerBuilder;
import org.apache.pulsar.client.api.DeadLetterPolicy;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.MessageIdAdv;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.PulsarClientException;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;
import org.apache.pulsar.client.api.SubscriptionType;
import org.apache.pulsar.common.naming.TopicName;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Reads one split through a consumer of the durable subscription. Messages are acknowledged only when a checkpoint
 * mark covering them is finalized; the watermark follows the largest event time seen, and moves to
 * {@code now - idleTimeout} while the split has had nothing to read for {@code idleTimeout}, so an idle partition
 * does not hold the pipeline's watermark back.
 */
final class PulsarUnboundedReader extends UnboundedSource.UnboundedReader<PulsarMessage> {
  private final PulsarUnboundedSource source;
  private final AstraStreamingIO.Read spec;
  private final @Nullable PulsarCheckpointMark restored;
  private final Counter received;

  private SharedPerJvm<PulsarConsumers.Handle>.Lease consumerLease;
  private Consumer<byte[]> consumer;
  private PulsarMessage current;
  private Instant currentTimestamp;
  /** Failover/Exclusive: only the last id per topic (cumulative ack); Shared: all of them. */
  private final boolean cumulative;
  private Map<String, MessageId> lastByTopic = new LinkedHashMap<>();
  private Map<String, List<MessageId>> allByTopic = new LinkedHashMap<>();
  private Instant maxEventTime = BoundedWindow.TIMESTAMP_MIN_VALUE;
  private Instant watermark = BoundedWindow.TIMESTAMP_MIN_VALUE;
  private long lastMessageMillis = System.currentTimeMillis();
  private PulsarAdminRest admin;
  /** The topics this reader consumes: the split's, or (splitting on workers) the partitions found at start. */
  private List<String> topics;
  private long backlogBytes = UnboundedSource.UnboundedReader.BACKLOG_UNKNOWN;
  private long backlogFetchedAt;

  PulsarUnboundedReader(PulsarUnboundedSource source, @Nullable PulsarCheckpointMark restored) {
    this.source = source;
    this.spec = source.spec();
    this.restored = restored;
    this.received = Metrics.counter("pulsar:" + spec.subscription(), "messages_read");
    this.cumulative = spec.subscriptionType() == SubscriptionType.Failover
        || spec.subscriptionType() == SubscriptionType.Exclusive;
  }

  @Override
  public boolean start() throws IOException {
    topics = source.splitCount() > 0 ? partitionsOfThisSplit() : source.assigned();
    if (topics.isEmpty() && spec.topicsPattern() == null) {
      // more splits than partitions: this one has nothing to read (its watermark follows the idle rule)
      return false;
    }
    try {
      String key = spec.connection().key() + "|" + spec.subscription() + "|" + source.index() + "|" + topics;
      consumerLease = PulsarConsumers.CONSUMERS.acquire(key, () -> {
        SharedPerJvm<PulsarClient>.Lease client = PulsarClients.acquire(spec.connection());
        try {
          return new PulsarConsumers.Handle(consumerBuilder(client.get()).subscribe(), client);
        } catch (PulsarClientException | RuntimeException e) {
          client.close();
          throw e;
        }
      });
      consumer = consumerLease.get().consumer();
    } catch (PulsarClientException.AuthenticationException | PulsarClientException.AuthorizationException e) {
      throw new IOException("Pulsar refused the subscription " + spec.subscription() + " on " + topics + " ("
          + (spec.connection().token() == null ? "no token" : "token " + spec.connection().token().describe()) + "): "
          + e.getMessage(), e);
    }
    if (restored != null) {
      // the output of the restored checkpoint was committed with it: its messages can be acknowledged now
      PulsarCheckpointMark.acknowledge(consumer, restored.cumulative(), restored.restoredIds());
    }
    if (spec.connection().adminUrl() != null) {
      admin = PulsarAdminRest.of(spec.connection());
    }
    return advance();
  }

  private ConsumerBuilder<byte[]> consumerBuilder(PulsarClient client) {
      ConsumerBuilder<byte[]> builder = client.newConsumer(Schema.BYTES)
          .subscriptionName(spec.subscription())
          .subscriptionType(spec.subscriptionType())
          .subscriptionInitialPosition(spec.startFromEarliest() ? SubscriptionInitialPosition.Earliest : SubscriptionInitialPosition.Latest)
          .receiverQueueSize(spec.receiverQueueSize())
          .consumerName(spec.subscription() + "-" + source.index() + "-" + Long.toHexString(System.nanoTime()))
          .negativeAckRedeliveryDelay(spec.negativeAckRedeliveryDelay().getMillis(), TimeUnit.MILLISECONDS);
      if (spec.topicsPattern() != null) {
        builder.topicsPattern(spec.topicsPattern());
      } else {
        builder.topics(topics);
      }
      if (spec.ackTimeout() != null) {
        builder.ackTimeout(spec.ackTimeout().getMillis(), TimeUnit.MILLISECONDS);
      }
      if (spec.deadLetterTopic() != null) {
        builder.deadLetterPolicy(DeadLetterPolicy.builder().maxRedeliverCount(spec.maxRedeliverCount())
            .deadLetterTopic(spec.deadLetterTopic()).build());
      }
      return builder;
  }

  /**
   * Splitting on workers: the partitions whose index is this split's modulo the split count (Shared types: all
   * topics), listed now, on the worker; a start timestamp positions this split's new subscriptions.
   */
  private List<String> partitionsOfThisSplit() throws IOException {
    List<String> all = source.checkAccess(spec.topics());
    List<String> mine = new ArrayList<>();
    if (source.isShared()) {
      mine.addAll(spec.topics());
    } else {
      for (int i = 0; i < all.size(); i++) {
        if (i % source.splitCount() == source.index()) {
          mine.add(all.get(i));
        }
      }
    }
    if (spec.startTimestamp() != null && !mine.isEmpty()) {
      PulsarAdminRest positioning = PulsarAdminRest.of(spec.connection());
      for (String topic : source.isShared() ? spec.topics() : mine) {
        positioning.createSubscriptionAt(topic, spec.subscription(), spec.startTimestamp().getMillis());
      }
    }
    return mine;
  }

  @Override
  public boolean advance() throws IOException {
    if (consumer == null) {
      return false; // a split with no partitions
    }
    Message<byte[]> message;
    try {
      message = consumer.receive(0, TimeUnit.MILLISECONDS);
      if (message == null && spec.pollTimeout().getMillis() > 0) {
        // The queue is momentarily empty. Runners back off when advance() returns false (Beam's Flink source
        // sleeps 50 ms), which caps a split near 20k msg/s with a 1000-message queue: wait a little first.
        message = consumer.receive((int) spec.pollTimeout().getMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (PulsarClientException e) {
      throw new IOException("receiving from " + topics + " failed: " + e.getMessage(), e);
    }
    if (message == null) {
      current = null;
      return false;
    }
    lastMessageMillis = System.currentTimeMillis();
    current = toPulsarMessage(message);
    Instant eventTime = spec.timestampFn() != null ? spec.timestampFn().apply(current)
        : new Instant(current.eventTime() > 0 ? current.eventTime() : current.publishTime());
    currentTimestamp = eventTime;
    if (eventTime.isAfter(maxEventTime)) {
      maxEventTime = eventTime;
    }
    if (cumulative) {
      lastByTopic.put(message.getTopicName(), message.getMessageId());
    } else {
      allByTopic.computeIfAbsent(message.getTopicName(), t -> new ArrayList<>()).add(message.getMessageId());
    }
    received.inc();
    return true;
  }

  static PulsarMessage toPulsarMessage(Message<byte[]> m) {
    MessageId id = m.getMessageId();
    long ledger = -1;
    long entry = -1;
    int batch = -1;
    int partition = -1;
    if (id instanceof MessageIdAdv) {
      MessageIdAdv adv = (MessageIdAdv) id;
      ledger = adv.getLedgerId();
      entry = adv.getEntryId();
      batch = adv.getBatchIndex();
      partition = adv.getPartitionIndex();
    }
    if (partition < 0) {
      partition = TopicName.getPartitionIndex(m.getTopicName());
    }
    // the serialized id is only materialized when an adv. id is missing; otherwise PulsarMessage derives it on demand
    return PulsarMessage.received(m.getTopicName(), partition, ledger < 0 ? id.toByteArray() : null, ledger, entry, batch,
        m.hasKey() ? m.getKey() : null, m.hasOrderingKey() ? m.getOrderingKey() : null, m.getProperties(),
        m.getEventTime(), m.getPublishTime(), m.getProducerName(), m.getSequenceId(), m.getRedeliveryCount(),
        m.getData(), schemaVersion(m.getSchemaVersion()));
  }

  /** Pulsar's schema version bytes (a big-endian long for the built-in registry) as a number; -1 when none. */
  static long schemaVersion(byte[] version) {
    return version != null && version.length == 8 ? java.nio.ByteBuffer.wrap(version).getLong() : -1;
  }


  @Override
  public PulsarMessage getCurrent() {
    if (current == null) {
      throw new NoSuchElementException();
    }
    return current;
  }

  @Override
  public Instant getCurrentTimestamp() {
    if (current == null) {
      throw new NoSuchElementException();
    }
    return currentTimestamp;
  }

  @Override
  public byte[] getCurrentRecordId() {
    if (current == null) {
      throw new NoSuchElementException();
    }
    // unique per source: position plus the topic's hash (a split may read several topics); no string building
    return java.nio.ByteBuffer.allocate(28).putLong(current.ledgerId()).putLong(current.entryId())
        .putInt(current.partition()).putInt(current.batchIndex()).putInt(current.topic().hashCode()).array();
  }

  @Override
  public Instant getWatermark() {
    Instant candidate = maxEventTime;
    long idleMillis = spec.idleTimeout().getMillis();
    if (System.currentTimeMillis() - lastMessageMillis >= idleMillis) {
      Instant idle = Instant.now().minus(Duration.millis(idleMillis));
      if (idle.isAfter(candidate)) {
        candidate = idle;
      }
    }
    if (candidate.isAfter(watermark)) {
      watermark = candidate;
    }
    return watermark;
  }

  @Override
  public PulsarCheckpointMark getCheckpointMark() {
    Map<String, List<byte[]>> encoded = new LinkedHashMap<>();
    List<MessageId> ids = new ArrayList<>();
    if (cumulative) {
      lastByTopic.forEach((topic, id) -> {
        encoded.put(topic, List.of(id.toByteArray()));
        ids.add(id);
      });
      lastByTopic = new LinkedHashMap<>();
    } else {
      allByTopic.forEach((topic, list) -> {
        List<byte[]> bytes = new ArrayList<>(list.size());
        list.forEach(id -> bytes.add(id.toByteArray()));
        encoded.put(topic, bytes);
        ids.addAll(list);
      });
      allByTopic = new LinkedHashMap<>();
    }
    return new PulsarCheckpointMark(cumulative, encoded, ids, consumer);
  }

  @Override
  public long getSplitBacklogBytes() {
    if (admin == null || topics == null || topics.isEmpty()) {
      return BACKLOG_UNKNOWN;
    }
    long now = System.currentTimeMillis();
    if (now - backlogFetchedAt > 10_000) {
      backlogFetchedAt = now;
      long total = 0;
      for (String topic : topics) {
        long bytes = admin.backlogBytes(topic, spec.subscription());
        if (bytes < 0) {
          total = BACKLOG_UNKNOWN;
          break;
        }
        total += bytes;
      }
      backlogBytes = total;
    }
    return backlogBytes;
  }

  @Override
  public PulsarUnboundedSource getCurrentSource() {
    return source;
  }

  @Override
  public void close() throws IOException {
    if (consumerLease != null) {
      consumerLease.close();
      consumerLease = null;
      consumer = null;
    }
  }
}
