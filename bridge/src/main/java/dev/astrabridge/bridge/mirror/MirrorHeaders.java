package dev.astrabridge.bridge.mirror;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The attributes (Pub/Sub) / properties (Pulsar) the mirror adds to every relayed message. Consumers can rely on
 * them: {@link #ORIGIN_ID} is the id of the message at its first source, the same on every copy, so a consumer of a
 * Pub/Sub target deduplicates by it.
 */
public final class MirrorHeaders {
  /** The bridges the message crossed, in order, comma separated (the loop guard reads it). */
  public static final String PATH = "astra-bridge.path";
  /** The message id at the first source (Pub/Sub message id, or Pulsar ledger:entry:partition:batch). */
  public static final String ORIGIN_ID = "astra-bridge.origin-id";
  /** The first source: pubsub:projects/P/subscriptions/S or pulsar:persistent://t/ns/topic-partition-N. */
  public static final String ORIGIN = "astra-bridge.origin";
  /** Pulsar properties Pub/Sub could not carry one by one, as a JSON object (--mirrorAttributeOverflow=pack). */
  public static final String OVERFLOW = "astra-bridge.overflow";

  /** The bridge ids in the message's path (empty when it never crossed a bridge). */
  public static List<String> path(Map<String, String> attributes) {
    String path = attributes.get(PATH);
    if (path == null || path.isBlank()) {
      return List.of();
    }
    return Arrays.asList(path.split(","));
  }

  /** Why the message must not be relayed by this bridge, or null to relay it. */
  public static String loopReason(Map<String, String> attributes, String bridgeId, int maxHops) {
    List<String> path = path(attributes);
    if (path.contains(bridgeId)) {
      return "already relayed by " + bridgeId + " (path " + String.join(",", path) + ")";
    }
    if (path.size() >= maxHops) {
      return "crossed " + path.size() + " bridges, the limit is " + maxHops;
    }
    return null;
  }

  static String appendHop(Map<String, String> attributes, String bridgeId) {
    List<String> path = new ArrayList<>(path(attributes));
    path.add(bridgeId);
    return String.join(",", path);
  }

  private MirrorHeaders() {}
}
