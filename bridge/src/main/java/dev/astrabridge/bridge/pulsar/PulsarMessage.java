package dev.astrabridge.bridge.pulsar;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One message read from Astra Streaming: where it was (topic, partition, message id), what the producer attached
 * (key, ordering key, properties, event time, producer name, sequence id), what the broker added (publish time,
 * redelivery count) and the payload, untouched. Encoded by {@link PulsarMessageCoder} (deterministic: properties in
 * key order, whatever the order of {@link #properties()}).
 */
@DefaultCoder(PulsarMessageCoder.class)
public final class PulsarMessage implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String topic;
  private final int partition;
  private byte @Nullable [] messageId;
  private final long ledgerId;
  private final long entryId;
  private final int batchIndex;
  private final @Nullable String key;
  private final byte @Nullable [] orderingKey;
  private final Map<String, String> properties;
  private final long eventTime;
  private final long publishTime;
  private final @Nullable String producerName;
  private final long sequenceId;
  private final int redeliveryCount;
  private final byte[] value;
  private final long schemaVersion;

  public PulsarMessage(String topic, int partition, byte @Nullable [] messageId, long ledgerId, long entryId, int batchIndex,
                       @Nullable String key, byte @Nullable [] orderingKey, Map<String, String> properties,
                       long eventTime, long publishTime, @Nullable String producerName, long sequenceId,
                       int redeliveryCount, byte[] value) {
    this(topic, partition, messageId, ledgerId, entryId, batchIndex, key, orderingKey, properties, eventTime,
        publishTime, producerName, sequenceId, redeliveryCount, value, -1);
  }

  /** {@code schemaVersion}: the version of the topic's registered schema the producer used, -1 when none. */
  public PulsarMessage(String topic, int partition, byte @Nullable [] messageId, long ledgerId, long entryId, int batchIndex,
                       @Nullable String key, byte @Nullable [] orderingKey, Map<String, String> properties,
                       long eventTime, long publishTime, @Nullable String producerName, long sequenceId,
                       int redeliveryCount, byte[] value, long schemaVersion) {
    this(topic, partition, messageId, ledgerId, entryId, batchIndex, key, orderingKey, Map.copyOf(properties),
        eventTime, publishTime, producerName, sequenceId, redeliveryCount, value, schemaVersion, true);
  }

  /**
   * For the reader: the client's {@code Message.getProperties()} is already unmodifiable and owned by the message, so
   * it is kept as it is instead of copied (once per message read).
   */
  static PulsarMessage received(String topic, int partition, byte @Nullable [] messageId, long ledgerId, long entryId,
                                int batchIndex, @Nullable String key, byte @Nullable [] orderingKey,
                                Map<String, String> unmodifiableProperties, long eventTime, long publishTime,
                                @Nullable String producerName, long sequenceId, int redeliveryCount, byte[] value,
                                long schemaVersion) {
    return new PulsarMessage(topic, partition, messageId, ledgerId, entryId, batchIndex, key, orderingKey,
        unmodifiableProperties, eventTime, publishTime, producerName, sequenceId, redeliveryCount, value,
        schemaVersion, true);
  }

  /** Keeps {@code properties} as given ({@code kept} only tells this constructor from the public one). */
  private PulsarMessage(String topic, int partition, byte @Nullable [] messageId, long ledgerId, long entryId,
                        int batchIndex, @Nullable String key, byte @Nullable [] orderingKey,
                        Map<String, String> properties, long eventTime, long publishTime,
                        @Nullable String producerName, long sequenceId, int redeliveryCount, byte[] value,
                        long schemaVersion, boolean kept) {
    this.schemaVersion = schemaVersion;
    this.topic = Objects.requireNonNull(topic);
    this.partition = partition;
    this.messageId = messageId;
    this.ledgerId = ledgerId;
    this.entryId = entryId;
    this.batchIndex = batchIndex;
    this.key = key;
    this.orderingKey = orderingKey;
    this.properties = Objects.requireNonNull(properties); // unsorted: the coder writes them in key order
    this.eventTime = eventTime;
    this.publishTime = publishTime;
    this.producerName = producerName;
    this.sequenceId = sequenceId;
    this.redeliveryCount = redeliveryCount;
    this.value = Objects.requireNonNull(value);
  }

  /** The (partition) topic the message was read from, e.g. persistent://t/ns/orders-partition-1. */
  public String topic() { return topic; }

  /** The partition index, or -1 for a non-partitioned topic. */
  public int partition() { return partition; }

  /** The broker's message id, serialized ({@code MessageId.toByteArray()}); built from the position on first use. */
  public byte[] messageId() {
    if (messageId == null) {
      messageId = batchIndex >= 0
          ? new org.apache.pulsar.client.impl.BatchMessageIdImpl(ledgerId, entryId, partition, batchIndex).toByteArray()
          : new org.apache.pulsar.client.impl.MessageIdImpl(ledgerId, entryId, partition).toByteArray();
    }
    return messageId;
  }

  public long ledgerId() { return ledgerId; }

  public long entryId() { return entryId; }

  /** Index inside a batch entry, or -1. */
  public int batchIndex() { return batchIndex; }

  public @Nullable String key() { return key; }

  public byte @Nullable [] orderingKey() { return orderingKey; }

  /** Properties in key order. */
  public Map<String, String> properties() { return properties; }

  /** The producer's event time in epoch ms, 0 when unset. */
  public long eventTime() { return eventTime; }

  public long publishTime() { return publishTime; }

  public @Nullable String producerName() { return producerName; }

  public long sequenceId() { return sequenceId; }

  public int redeliveryCount() { return redeliveryCount; }

  public byte[] value() { return value; }

  /** The version of the topic's registered schema the message was produced with, -1 when none (plain bytes). */
  public long schemaVersion() { return schemaVersion; }

  /** ledger:entry:partition:batch — readable, unique within the topic. */
  public String messageIdString() {
    return ledgerId + ":" + entryId + ":" + partition + ":" + batchIndex;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof PulsarMessage)) {
      return false;
    }
    PulsarMessage m = (PulsarMessage) o;
    return partition == m.partition && ledgerId == m.ledgerId && entryId == m.entryId && batchIndex == m.batchIndex
        && eventTime == m.eventTime && publishTime == m.publishTime && sequenceId == m.sequenceId
        && redeliveryCount == m.redeliveryCount && topic.equals(m.topic) && Arrays.equals(messageId(), m.messageId())
        && Objects.equals(key, m.key) && Arrays.equals(orderingKey, m.orderingKey) && properties.equals(m.properties)
        && Objects.equals(producerName, m.producerName) && Arrays.equals(value, m.value)
        && schemaVersion == m.schemaVersion;
  }

  @Override
  public int hashCode() {
    return Objects.hash(topic, partition, ledgerId, entryId, batchIndex);
  }

  @Override
  public String toString() {
    return "PulsarMessage{" + topic + " " + messageIdString() + ", key=" + key + ", " + value.length + " bytes}";
  }
}
