package dev.astrabridge.bridge.mirror;

import dev.astrabridge.bridge.metrics.StageMeters;
import java.io.Serializable;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** One SOURCE->TARGET pair of --mirrorRoutes. */
public final class MirrorRoute implements Serializable {
  private static final long serialVersionUID = 1L;

  public enum Direction {
    PUBSUB_TO_PULSAR, PULSAR_TO_PUBSUB;

    public String label() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  private static final String SUBSCRIPTION = "projects/[^/]+/subscriptions/[^/]+";
  private static final String TOPIC = "projects/[^/]+/topics/[^/]+";
  private static final String PULSAR = "(persistent|non-persistent)://[^/]+/[^/]+/.+";

  public final Direction direction;
  public final String source;
  public final String target;
  /** Pulsar-to-Pub/Sub pattern route: source is a regular expression, target a replacement ($1, $2...). */
  public final boolean pattern;
  private transient Pattern compiled;

  private MirrorRoute(Direction direction, String source, String target, boolean pattern) {
    this.direction = direction;
    this.source = source;
    this.target = target;
    this.pattern = pattern;
  }

  /** Parses SOURCE->TARGET; the message names what is valid. */
  public static MirrorRoute parse(String route) {
    String text = route == null ? "" : route.trim();
    int arrow = text.indexOf("->");
    if (arrow <= 0 || arrow + 2 >= text.length()) {
      throw new IllegalArgumentException("'" + route + "' is not SOURCE->TARGET");
    }
    String source = text.substring(0, arrow).trim();
    String target = text.substring(arrow + 2).trim();
    if (source.matches(SUBSCRIPTION)) {
      if (!target.matches(PULSAR) || target.contains("(") || target.contains("$")) {
        throw new IllegalArgumentException("'" + route + "': a Pub/Sub subscription relays to one Pulsar topic"
            + " (persistent://tenant/ns/topic), got '" + target + "'");
      }
      return new MirrorRoute(Direction.PUBSUB_TO_PULSAR, source, target, false);
    }
    if (source.matches(PULSAR)) {
      if (!target.matches(TOPIC)) {
        throw new IllegalArgumentException("'" + route + "': a Pulsar topic relays to a Pub/Sub topic"
            + " (projects/P/topics/T), got '" + target + "'");
      }
      boolean pattern = source.contains("(") || target.contains("$");
      if (pattern) {
        try {
          Pattern.compile(source);
        } catch (PatternSyntaxException e) {
          throw new IllegalArgumentException("'" + route + "': the source pattern does not compile: "
              + e.getDescription());
        }
      }
      return new MirrorRoute(Direction.PULSAR_TO_PUBSUB, source, target, pattern);
    }
    throw new IllegalArgumentException("'" + route + "': the source must be a Pub/Sub subscription"
        + " (projects/P/subscriptions/S) or a Pulsar topic or pattern (persistent://tenant/ns/topic)");
  }

  /** The Pub/Sub topic of a message read from this (Pulsar) route's source topic. */
  public String targetFor(String sourceTopic) {
    if (!pattern) {
      return target;
    }
    if (compiled == null) {
      compiled = Pattern.compile(source);
    }
    Matcher m = compiled.matcher(stripPartition(sourceTopic));
    if (!m.matches()) {
      throw new IllegalArgumentException("topic " + sourceTopic + " does not match the route pattern " + source);
    }
    return m.replaceFirst(target);
  }

  /** persistent://t/ns/orders-partition-2 → persistent://t/ns/orders. */
  static String stripPartition(String topic) {
    return topic.replaceFirst("-partition-\\d+$", "");
  }

  /** "SOURCE to TARGET" by their last path segments: short enough for Flink's operator names, stable for updates. */
  public String shortName() {
    return last(source) + " to " + last(target);
  }

  private static String last(String name) {
    return name.substring(name.lastIndexOf('/') + 1);
  }

  /**
   * This route's metrics: Beam namespace {@code mirror.DIRECTION} (the runner's UI sums a direction's routes),
   * Micrometer {@code mirror.*} tagged with the direction and the route ({@code SOURCE->TARGET}).
   */
  public StageMeters meters() {
    return StageMeters.of("mirror." + direction.label(), "mirror", "direction", direction.label(), "route", toString());
  }

  @Override
  public String toString() {
    return source + "->" + target;
  }
}
