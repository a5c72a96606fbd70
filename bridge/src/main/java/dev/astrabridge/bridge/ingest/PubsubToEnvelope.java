package dev.astrabridge.bridge.ingest;

import dev.astrabridge.bridge.metrics.StageMeters;
import dev.astrabridge.schemas.envelope.BridgeMessage;
import java.nio.ByteBuffer;
import java.util.Map;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubMessage;
import org.apache.beam.sdk.transforms.DoFn;
import org.joda.time.Instant;

/**
 * Pub/Sub message → envelope: payload untouched, attributes, message id (the id attribute's value when one is
 * configured), ordering key (also as the key), event time = the element timestamp (the timestamp attribute, else
 * the publish time).
 */
public final class PubsubToEnvelope extends DoFn<PubsubMessage, BridgeMessage> {
  private final String subscription;
  private final boolean timestampFromAttribute;
  private final StageMeters.Count received;

  public PubsubToEnvelope(String subscription, boolean timestampFromAttribute, StageMeters meters) {
    this.subscription = subscription;
    this.timestampFromAttribute = timestampFromAttribute;
    this.received = meters.counter("received");
  }

  @ProcessElement
  public void process(@Element PubsubMessage m, @Timestamp Instant timestamp, OutputReceiver<BridgeMessage> out) {
    received.inc();
    java.time.Instant time = java.time.Instant.ofEpochMilli(timestamp.getMillis());
    out.output(toBridgeMessage(m, subscription, time, timestampFromAttribute ? null : time));
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
