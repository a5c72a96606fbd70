package dev.astrabridge.astradb.mapping;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/** A parsed mapping expression: a field path, message metadata, {@code now()} or a literal. See {@link MappingSpec}. */
public abstract class Expression implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final Pattern INTEGER = Pattern.compile("-?\\d+");
  private static final Pattern DECIMAL = Pattern.compile("-?\\d+\\.\\d+([eE][-+]?\\d+)?");

  /** The metadata the envelope carries. */
  public enum Metadata { MESSAGE_ID, KEY, ORDERING_KEY, PUBLISH_TIME, EVENT_TIME, SOURCE, ATTRIBUTE }

  private Expression() {}

  public static Expression parse(String text) {
    String t = text.strip();
    if (t.isEmpty()) {
      throw new IllegalArgumentException("empty expression");
    }
    if (t.equalsIgnoreCase("now()")) {
      return new Now();
    }
    if (t.startsWith("'")) {
      if (t.length() < 2 || !t.endsWith("'")) {
        throw new IllegalArgumentException("unterminated text literal " + t);
      }
      return new Literal(t.substring(1, t.length() - 1).replace("''", "'"));
    }
    if (INTEGER.matcher(t).matches()) {
      return new Literal(Long.parseLong(t));
    }
    if (DECIMAL.matcher(t).matches()) {
      return new Literal(Double.parseDouble(t));
    }
    if (t.equalsIgnoreCase("true") || t.equalsIgnoreCase("false")) {
      return new Literal(Boolean.parseBoolean(t));
    }
    if (t.equalsIgnoreCase("null")) {
      return new Literal(null);
    }
    if (t.startsWith("@")) {
      String name = t.substring(1);
      if (name.startsWith("attr:")) {
        String attribute = name.substring("attr:".length());
        if (attribute.isEmpty()) {
          throw new IllegalArgumentException("@attr: needs an attribute name, e.g. @attr:origin");
        }
        return new MetadataRef(Metadata.ATTRIBUTE, attribute);
      }
      for (Metadata m : Metadata.values()) {
        if (m != Metadata.ATTRIBUTE && m.name().equalsIgnoreCase(name)) {
          return new MetadataRef(m, null);
        }
      }
      throw new IllegalArgumentException("unknown metadata " + t + "; valid: @message_id, @key, @ordering_key,"
          + " @publish_time, @event_time, @source, @attr:NAME");
    }
    List<String> path = Arrays.asList(t.split("\\.", -1));
    for (String part : path) {
      if (!IDENTIFIER.matcher(part).matches()) {
        throw new IllegalArgumentException("'" + t + "' is not a field path, metadata (@...), now() or a literal");
      }
    }
    return new FieldPath(path);
  }

  /** A path of field names into the record. */
  public static final class FieldPath extends Expression {
    private static final long serialVersionUID = 1L;
    private final List<String> path;

    FieldPath(List<String> path) {
      this.path = List.copyOf(path);
    }

    public List<String> path() {
      return path;
    }

    @Override
    public String toString() {
      return String.join(".", path);
    }
  }

  /** A value from the message envelope. */
  public static final class MetadataRef extends Expression {
    private static final long serialVersionUID = 1L;
    private final Metadata metadata;
    private final String attribute;

    MetadataRef(Metadata metadata, String attribute) {
      this.metadata = metadata;
      this.attribute = attribute;
    }

    public Metadata metadata() {
      return metadata;
    }

    public String attribute() {
      return attribute;
    }

    @Override
    public String toString() {
      return metadata == Metadata.ATTRIBUTE ? "@attr:" + attribute : "@" + metadata.name().toLowerCase();
    }
  }

  /** The write's processing time. */
  public static final class Now extends Expression {
    private static final long serialVersionUID = 1L;

    @Override
    public String toString() {
      return "now()";
    }
  }

  /** A constant: String, Long, Double, Boolean or null. */
  public static final class Literal extends Expression {
    private static final long serialVersionUID = 1L;
    private final Object value;

    Literal(Object value) {
      this.value = value;
    }

    public Object value() {
      return value;
    }

    @Override
    public String toString() {
      return value instanceof String ? "'" + ((String) value).replace("'", "''") + "'" : String.valueOf(value);
    }
  }
}
