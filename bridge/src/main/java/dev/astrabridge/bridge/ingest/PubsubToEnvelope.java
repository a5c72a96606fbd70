package dev.astrabridge.bridge.ingest;

import dev.astrabridge.bridge.metrics.StageMeters;
import dev.astrabridge.schemas.envelope.BridgeMessage;
import dev.astrabridge.schemas.envelope.DeadLetter;
import dev.astrabridge.schemas.envelope.DeadLetters;
import java.nio.ByteBuffer;
import java.util.Map;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubMessage;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.TupleTag;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.joda.time.Instant;

/**
 * Pub/Sub message → envelope: payload untouched, attributes, message id (the id attribute's value when one is
 * configured), ordering key (also as the key), event time = the timestamp attribute when one is configured, else the
 * publish time.
 *
 * <p>The timestamp attribute is read here, not by PubsubIO: PubsubIO's {@code withTimestampAttribute} throws from the
 * source on a message whose attribute is missing or unparseable, and the runner then retries that read forever (one
 * bad message stops the job). Here such a message is dead-lettered (stage decode) with the reason. The cost: the
 * source watermark follows publish times, so an event whose attribute is older than its publish time by more than
 * its window and the allowed lateness is dead-lettered as late.
 */
public final class PubsubToEnvelope extends DoFn<PubsubMessage, BridgeMessage> {
  public static final TupleTag<BridgeMessage> ENVELOPES = new TupleTag<BridgeMessage>("envelopes") {};
  public static final TupleTag<DeadLetter> BAD_TIMESTAMPS = new TupleTag<DeadLetter>("bad timestamps") {};

  private final String subscription;
  private final @Nullable String timestampAttribute;
  private final StageMeters.Count received;

  public PubsubToEnvelope(String subscription, @Nullable String timestampAttribute, StageMeters meters) {
    this.subscription = subscription;
    this.timestampAttribute = timestampAttribute;
    this.received = meters.counter("received");
  }

  @ProcessElement
  public void process(@Element PubsubMessage m, @Timestamp Instant publishTime, MultiOutputReceiver out) {
    received.inc();
    java.time.Instant published = java.time.Instant.ofEpochMilli(publishTime.getMillis());
    if (timestampAttribute == null) {
      out.get(ENVELOPES).output(toBridgeMessage(m, subscription, published, published));
      return;
    }
    String value = m.getAttributeMap() == null ? null : m.getAttributeMap().get(timestampAttribute);
    java.time.Instant eventTime = parseTime(value);
    if (eventTime == null) {
      BridgeMessage envelope = toBridgeMessage(m, subscription, published, published);
      out.get(BAD_TIMESTAMPS).output(DeadLetters.builder(envelope, DeadLetters.DECODE, value == null
          ? "the timestamp attribute " + timestampAttribute + " is missing"
          : "the timestamp attribute " + timestampAttribute + "='" + value + "' is neither RFC 3339 nor epoch"
              + " milliseconds").build());
      return;
    }
    out.get(ENVELOPES).outputWithTimestamp(toBridgeMessage(m, subscription, eventTime, published),
        new Instant(eventTime.toEpochMilli()));
  }

  /** Event times may be earlier than the publish time the source stamped (that is what the attribute is for). */
  @Override
  @SuppressWarnings("deprecation")
  public org.joda.time.Duration getAllowedTimestampSkew() {
    return org.joda.time.Duration.millis(Long.MAX_VALUE);
  }

  /** RFC 3339 or epoch milliseconds (what PubsubIO accepts); null when neither. */
  public static java.time.@Nullable Instant parseTime(@Nullable String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    try {
      return value.chars().allMatch(Character::isDigit) ? java.time.Instant.ofEpochMilli(Long.parseLong(value))
          : java.time.OffsetDateTime.parse(value).toInstant();
    } catch (java.time.format.DateTimeParseException | NumberFormatException e) {
      return null;
    }
  }

  /** The envelope of a Pub/Sub message: payload untouched, a copy of the attributes, ordering key as key too. */
  public static BridgeMessage toBridgeMessage(PubsubMessage m, String subscription, java.time.Instant eventTime,
                                              java.time.Instant publishTime) {
    String orderingKey = m.getOrderingKey() == null || m.getOrderingKey().isEmpty() ? null : m.getOrderingKey();
    // the all-arguments constructor: the builder would deep-copy the schema default of each unset field
    return new BridgeMessage(ByteBuffer.wrap(m.getPayload() == null ? new byte[0] : m.getPayload()), orderingKey,
        orderingKey, m.getAttributeMap() == null ? Map.of() : Map.copyOf(m.getAttributeMap()), m.getMessageId(),
        eventTime, publishTime, "pubsub:" + subscription, null, null, false);
  }
}
