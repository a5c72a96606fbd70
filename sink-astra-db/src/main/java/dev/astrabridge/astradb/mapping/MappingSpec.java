package dev.astrabridge.astradb.mapping;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The declarative mapping from a record to a row: entries {@code column = expression}, parsed and syntax-checked
 * here; resolved and type-checked against the real table by {@link MappingPlan}.
 *
 * <p>Expressions:
 * <ul>
 *   <li>a field path into the record: {@code amount}, {@code customer.shipping_address.city}
 *       (names match exactly, else ignoring case and underscores: {@code customerId} finds {@code customer_id});</li>
 *   <li>message metadata from the broker-agnostic envelope: {@code @message_id}, {@code @key},
 *       {@code @ordering_key}, {@code @publish_time}, {@code @event_time}, {@code @source},
 *       {@code @attr:NAME} (a Pub/Sub attribute or Pulsar property);</li>
 *   <li>{@code now()} (timestamp, timeuuid, date or bigint columns);</li>
 *   <li>a literal: {@code 'text'} ({@code ''} escapes a quote), {@code 42}, {@code 1.5}, {@code true}, {@code false},
 *       {@code null}.</li>
 * </ul>
 * Special targets: {@code __ttl} (seconds, a field or a constant) and {@code __timestamp} (write-time in microseconds,
 * or a timestamp field; the default write-time is the message's event time). The entry {@code *} maps every other
 * column to the record field of the same name (snake_case/camelCase tolerant); an empty mapping means {@code *}.
 */
public final class MappingSpec implements Serializable {
  private static final long serialVersionUID = 1L;

  public static final String TTL = "__ttl";
  public static final String TIMESTAMP = "__timestamp";

  /** One {@code column = expression} entry. */
  public static final class Entry implements Serializable {
    private static final long serialVersionUID = 1L;
    private final String column;
    private final Expression expression;
    private final String text;

    Entry(String column, Expression expression, String text) {
      this.column = column;
      this.expression = expression;
      this.text = text;
    }

    /** The target column as written (CQL syntax: quoted names keep their case). */
    public String column() {
      return column;
    }

    public Expression expression() {
      return expression;
    }

    /** The entry as the user wrote it, for error messages. */
    @Override
    public String toString() {
      return text;
    }
  }

  private final List<Entry> entries;
  private final boolean auto;

  private MappingSpec(List<Entry> entries, boolean auto) {
    this.entries = List.copyOf(entries);
    this.auto = auto;
  }

  /** Every column mapped from the record field of the same name. */
  public static MappingSpec auto() {
    return new MappingSpec(List.of(), true);
  }

  /** Entries given one by one: {@code of("order_id = order_id", "city = customer.address.city")}. */
  public static MappingSpec of(String... entries) {
    return of(List.of(entries));
  }

  public static MappingSpec of(List<String> entries) {
    List<Entry> parsed = new ArrayList<>();
    List<String> errors = new ArrayList<>();
    boolean auto = entries.isEmpty();
    for (String raw : entries) {
      String text = raw.strip();
      if (text.isEmpty()) {
        continue;
      }
      if (text.equals("*")) {
        auto = true;
        continue;
      }
      int eq = indexOfEqualsOutsideQuotes(text);
      if (eq <= 0) {
        errors.add("mapping entry '" + text + "': expected 'column = expression'");
        continue;
      }
      String column = text.substring(0, eq).strip();
      try {
        parsed.add(new Entry(column, Expression.parse(text.substring(eq + 1).strip()), text));
      } catch (IllegalArgumentException e) {
        errors.add("mapping entry '" + text + "': " + e.getMessage());
      }
    }
    if (!errors.isEmpty()) {
      throw new IllegalArgumentException(String.join("\n", errors));
    }
    return new MappingSpec(parsed, auto);
  }

  /** Entries separated by commas or new lines (outside quotes), e.g. {@code "id = order_id, *"}. */
  public static MappingSpec parse(String spec) {
    Objects.requireNonNull(spec, "mapping");
    List<String> entries = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    boolean quoted = false;
    for (char c : spec.toCharArray()) {
      if (c == '\'') {
        quoted = !quoted;
      }
      if (!quoted && (c == ',' || c == '\n' || c == ';')) {
        entries.add(current.toString());
        current.setLength(0);
      } else {
        current.append(c);
      }
    }
    entries.add(current.toString());
    entries.removeIf(String::isBlank);
    return of(entries);
  }

  private static int indexOfEqualsOutsideQuotes(String text) {
    boolean quoted = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\'' || c == '"') {
        quoted = !quoted;
      } else if (c == '=' && !quoted) {
        return i;
      }
    }
    return -1;
  }

  public List<Entry> entries() {
    return entries;
  }

  /** Whether columns not named by an entry are mapped by name. */
  public boolean isAuto() {
    return auto;
  }

  @Override
  public String toString() {
    List<String> all = new ArrayList<>();
    entries.forEach(e -> all.add(e.toString()));
    if (auto) {
      all.add("*");
    }
    return String.join(", ", all);
  }
}
