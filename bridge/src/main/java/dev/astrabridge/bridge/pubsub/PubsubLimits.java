package dev.astrabridge.bridge.pubsub;

import com.google.common.base.Utf8;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * What Pub/Sub accepts in one message (https://cloud.google.com/pubsub/quotas#resource_limits), checked before
 * publishing so a message that cannot be carried gets a reason naming the limit instead of failing a whole batch.
 */
public final class PubsubLimits {
  public static final int MAX_ATTRIBUTES = 100;
  public static final int MAX_ATTRIBUTE_KEY_BYTES = 256;
  public static final int MAX_ATTRIBUTE_VALUE_BYTES = 1024;
  public static final int MAX_ORDERING_KEY_BYTES = 1024;
  /** Data plus attributes of one message (and of one publish request). */
  public static final int MAX_MESSAGE_BYTES = 10_000_000;

  /**
   * Why the message cannot be published, or null when it can. Runs twice for every relayed message, so sizes are
   * counted only when they could matter: a string of n chars has at most 3n UTF-8 bytes.
   */
  public static String violation(int dataBytes, Map<String, String> attributes, String orderingKey) {
    if (attributes.size() > MAX_ATTRIBUTES) {
      return attributes.size() + " attributes, Pub/Sub accepts at most " + MAX_ATTRIBUTES;
    }
    long bound = dataBytes;
    for (Map.Entry<String, String> e : attributes.entrySet()) {
      String problem = attributeViolation(e.getKey(), e.getValue());
      if (problem != null) {
        return problem;
      }
      bound += 3L * (e.getKey().length() + e.getValue().length());
    }
    if (orderingKey != null && exceeds(orderingKey, MAX_ORDERING_KEY_BYTES)) {
      return "ordering key of " + utf8(orderingKey) + " bytes, Pub/Sub accepts at most " + MAX_ORDERING_KEY_BYTES;
    }
    if (bound > MAX_MESSAGE_BYTES) {
      long size = dataBytes;
      for (Map.Entry<String, String> e : attributes.entrySet()) {
        size += utf8(e.getKey()) + utf8(e.getValue());
      }
      if (size > MAX_MESSAGE_BYTES) {
        return "message of " + size + " bytes (data + attributes), Pub/Sub accepts at most " + MAX_MESSAGE_BYTES;
      }
    }
    return null;
  }

  /** Why this one attribute cannot be carried, or null. */
  public static String attributeViolation(String key, String value) {
    if (key.isEmpty() || key.startsWith("goog")) {
      return "attribute key '" + abbreviate(key) + "' is empty or starts with 'goog' (reserved by Pub/Sub)";
    }
    if (exceeds(key, MAX_ATTRIBUTE_KEY_BYTES)) {
      return "attribute key '" + abbreviate(key) + "' has " + utf8(key) + " bytes, Pub/Sub accepts at most "
          + MAX_ATTRIBUTE_KEY_BYTES;
    }
    if (exceeds(value, MAX_ATTRIBUTE_VALUE_BYTES)) {
      return "attribute '" + abbreviate(key) + "' has a value of " + utf8(value) + " bytes, Pub/Sub accepts at most "
          + MAX_ATTRIBUTE_VALUE_BYTES;
    }
    return null;
  }

  /** Whether s takes more than max UTF-8 bytes (counted only when its length allows it). */
  private static boolean exceeds(String s, int max) {
    return 3L * s.length() > max && utf8(s) > max;
  }

  /** The UTF-8 size without encoding the string (this runs for every attribute of every relayed message). */
  static int utf8(String s) {
    try {
      return Utf8.encodedLength(s);
    } catch (IllegalArgumentException unpairedSurrogate) {
      return s.getBytes(StandardCharsets.UTF_8).length; // as protobuf will send it: the lone surrogate becomes '?'
    }
  }

  private static String abbreviate(String key) {
    return key.length() <= 40 ? key : key.substring(0, 40) + "…";
  }

  private PubsubLimits() {}
}
