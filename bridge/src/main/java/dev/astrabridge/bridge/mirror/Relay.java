package dev.astrabridge.bridge.mirror;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.astrabridge.bridge.ingest.PubsubToEnvelope;
import dev.astrabridge.bridge.metrics.StageMeters;
import dev.astrabridge.bridge.pubsub.PubsubLimits;
import dev.astrabridge.bridge.pulsar.AstraStreamingIO;
import dev.astrabridge.bridge.pulsar.PulsarMessage;
import dev.astrabridge.schemas.envelope.BridgeMessage;
import dev.astrabridge.schemas.envelope.DeadLetter;
import dev.astrabridge.schemas.envelope.DeadLetters;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubMessage;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.TupleTag;
import org.joda.time.Instant;

/**
 * The relay steps: a source message → the envelope the target publishes, after the loop guard; the origin id,
 * origin and path headers added; event time and key carried over. Nothing is dropped silently: a message the loop
 * guard stops is counted (loop_skipped), one that cannot be carried is dead-lettered with the reason.
 */
final class Relay {
  static final TupleTag<BridgeMessage> RELAYED = new TupleTag<BridgeMessage>("relayed") {};
  static final TupleTag<DeadLetter> DEAD = new TupleTag<DeadLetter>("dead") {};
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Pub/Sub → Pulsar: the ordering key becomes the Pulsar key, the event-time attribute the Pulsar event time. */
  static final class FromPubsub extends DoFn<PubsubMessage, BridgeMessage> {
    private static final long serialVersionUID = 1L;
    private final String subscription;
    private final String bridgeId;
    private final int maxHops;
    private final String eventTimeAttribute;
    private final StageMeters.Count received;
    private final StageMeters.Count skipped;

    FromPubsub(String subscription, String bridgeId, int maxHops, String eventTimeAttribute, StageMeters meters) {
      this.subscription = subscription;
      this.bridgeId = bridgeId;
      this.maxHops = maxHops;
      this.eventTimeAttribute = eventTimeAttribute;
      this.received = meters.counter("received");
      this.skipped = meters.counter("loop_skipped");
    }

    @ProcessElement
    public void process(@Element PubsubMessage m, @Timestamp Instant publishTime, MultiOutputReceiver out) {
      received.inc();
      Map<String, String> attributes = m.getAttributeMap() == null ? new HashMap<>() : new HashMap<>(m.getAttributeMap());
      if (MirrorHeaders.loopReason(attributes, bridgeId, maxHops) != null) {
        skipped.inc();
        return;
      }
      java.time.Instant published = java.time.Instant.ofEpochMilli(publishTime.getMillis());
      String overflow = attributes.remove(MirrorHeaders.OVERFLOW);
      if (overflow != null) {
        try {
          JSON.readValue(overflow, new TypeReference<Map<String, String>>() {}).forEach(attributes::putIfAbsent);
        } catch (JsonProcessingException e) {
          attributes.put(MirrorHeaders.OVERFLOW, overflow); // not ours after all: carry it as it is
        }
      }
      java.time.Instant eventTime = eventTime(attributes.get(eventTimeAttribute));
      String source = "pubsub:" + subscription;
      attributes.putIfAbsent(MirrorHeaders.ORIGIN_ID, String.valueOf(m.getMessageId()));
      attributes.putIfAbsent(MirrorHeaders.ORIGIN, source);
      attributes.put(MirrorHeaders.PATH, MirrorHeaders.appendHop(attributes, bridgeId));
      BridgeMessage envelope = PubsubToEnvelope.toBridgeMessage(m, subscription,
          eventTime != null ? eventTime : published, published);
      envelope.setAttributes(attributes);
      out.get(RELAYED).output(envelope);
    }

    /** RFC 3339 or epoch milliseconds; anything else: none (the attribute still travels as a property). */
    static java.time.Instant eventTime(String value) {
      return PubsubToEnvelope.parseTime(value);
    }
  }

  /** Pulsar → Pub/Sub: the key becomes the ordering key; properties Pub/Sub cannot carry per the overflow policy. */
  static final class FromPulsar extends DoFn<PulsarMessage, BridgeMessage> {
    private static final long serialVersionUID = 1L;
    private final String bridgeId;
    private final int maxHops;
    private final boolean packOverflow;
    private final StageMeters.Count received;
    private final StageMeters.Count skipped;
    private final StageMeters.Count deadLettered;
    private final StageMeters.Count packed;

    FromPulsar(String bridgeId, int maxHops, boolean packOverflow, StageMeters meters) {
      this.bridgeId = bridgeId;
      this.maxHops = maxHops;
      this.packOverflow = packOverflow;
      this.received = meters.counter("received");
      this.skipped = meters.counter("loop_skipped");
      this.deadLettered = meters.counter("dead_lettered");
      this.packed = meters.counter("overflow_packed");
    }

    @ProcessElement
    public void process(@Element PulsarMessage m, MultiOutputReceiver out) {
      received.inc();
      BridgeMessage envelope = AstraStreamingIO.toBridgeMessage(m);
      Map<String, String> attributes = new HashMap<>(envelope.getAttributes());
      if (MirrorHeaders.loopReason(attributes, bridgeId, maxHops) != null) {
        skipped.inc();
        return;
      }
      attributes.putIfAbsent(MirrorHeaders.ORIGIN_ID, envelope.getMessageId());
      attributes.putIfAbsent(MirrorHeaders.ORIGIN, envelope.getSource());
      attributes.put(MirrorHeaders.PATH, MirrorHeaders.appendHop(attributes, bridgeId));
      String problem = packOverflow ? pack(attributes) : PubsubLimits.violation(0, attributes, null);
      if (problem != null) {
        envelope.setAttributes(Map.copyOf(m.properties()));
        out.get(DEAD).output(DeadLetters.builder(envelope, DeadLetters.RELAY, "Pub/Sub cannot carry the properties: "
            + problem + (packOverflow ? "" : " (--mirrorAttributeOverflow=pack packs them into one attribute)")).build());
        deadLettered.inc();
        return;
      }
      envelope.setAttributes(attributes);
      out.get(RELAYED).output(envelope);
    }

    /** Moves what Pub/Sub cannot carry into {@link MirrorHeaders#OVERFLOW}; why that failed too, or null. */
    private String pack(Map<String, String> attributes) {
      if (PubsubLimits.violation(0, attributes, null) == null) {
        return null;
      }
      Map<String, String> overflow = new TreeMap<>();
      long ours = attributes.keySet().stream().filter(k -> k.startsWith("astra-bridge.")).count();
      // room for the other properties: the limit less our headers and the overflow attribute itself
      long room = PubsubLimits.MAX_ATTRIBUTES - ours - 1;
      int kept = 0;
      for (Map.Entry<String, String> e : new TreeMap<>(attributes).entrySet()) {
        if (e.getKey().startsWith("astra-bridge.")) {
          continue;
        }
        if (PubsubLimits.attributeViolation(e.getKey(), e.getValue()) != null || kept >= room) {
          overflow.put(e.getKey(), e.getValue());
          attributes.remove(e.getKey());
        } else {
          kept++;
        }
      }
      try {
        attributes.put(MirrorHeaders.OVERFLOW, JSON.writeValueAsString(overflow));
      } catch (JsonProcessingException e) {
        return "cannot pack the properties: " + e.getOriginalMessage();
      }
      packed.inc();
      String problem = PubsubLimits.violation(0, attributes, null);
      return problem == null ? null : problem + " even after packing " + overflow.size() + " properties into "
          + MirrorHeaders.OVERFLOW;
    }
  }

  private Relay() {}
}
