package dev.astrabridge.bridge.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Conversions;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.GenericRecord;

/**
 * Plain JSON (and CSV cells) ↔ Avro values of a schema, in the forms people write by hand and other tools read:
 * timestamps and dates as ISO-8601 text (numbers accepted too), decimals as numbers or text, bytes as base64, enums
 * and uuids as text, records and maps as objects, arrays as arrays. Not Avro's own JSON encoding (which wraps union
 * values in {"type": value}). Export writes these forms and load reads them, so an exported file loads back.
 */
public final class RecordText {
  private static final Conversions.DecimalConversion DECIMALS = new Conversions.DecimalConversion();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /** A value that does not fit its field; the message names the field path and what was expected. */
  public static final class BadValueException extends Exception {
    private static final long serialVersionUID = 1L;

    BadValueException(String message) {
      super(message);
    }
  }

  public static JsonNode parseJson(String text) throws BadValueException {
    try {
      return JSON.readTree(text);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new BadValueException("not JSON: " + e.getOriginalMessage());
    }
  }

  /** A record of {@code schema} from a JSON object; missing fields take their default. */
  public static GenericRecord record(JsonNode node, Schema schema) throws BadValueException {
    return (GenericRecord) value(node, schema, "");
  }

  /** A record from CSV cells by header name; an empty cell is null, complex values are JSON text. */
  public static GenericRecord record(Map<String, String> cells, Schema schema) throws BadValueException {
    GenericData.Record out = new GenericData.Record(schema);
    for (Schema.Field field : schema.getFields()) {
      String cell = cells.get(field.name());
      Object value;
      if (cell == null || cell.isEmpty()) {
        value = missing(field, field.name());
      } else {
        Schema type = nonNull(field.schema());
        JsonNode node = isComplex(type) ? parseJson(cell) : NODES.textNode(cell);
        value = value(node, field.schema(), field.name());
      }
      out.put(field.pos(), value);
    }
    return out;
  }

  private static boolean isComplex(Schema type) {
    return type.getType() == Schema.Type.RECORD || type.getType() == Schema.Type.ARRAY || type.getType() == Schema.Type.MAP;
  }

  private static Object missing(Schema.Field field, String path) throws BadValueException {
    if (field.hasDefaultValue()) {
      return GenericData.get().getDefaultValue(field);
    }
    if (isNullable(field.schema())) {
      return null;
    }
    throw new BadValueException(path + ": required field is missing");
  }

  static Object value(JsonNode node, Schema schema, String path) throws BadValueException {
    if (node == null || node.isNull() || node.isMissingNode()) {
      if (isNullable(schema)) {
        return null;
      }
      throw new BadValueException(path + ": null where " + describe(schema) + " is required");
    }
    if (schema.getType() == Schema.Type.UNION) {
      BadValueException last = null;
      for (Schema branch : schema.getTypes()) {
        if (branch.getType() != Schema.Type.NULL) {
          try {
            return value(node, branch, path);
          } catch (BadValueException e) {
            last = e;
          }
        }
      }
      throw last;
    }
    LogicalType logical = schema.getLogicalType();
    try {
      switch (schema.getType()) {
        case BOOLEAN:
          if (node.isBoolean()) {
            return node.booleanValue();
          }
          if (node.isTextual() && node.textValue().matches("(?i)true|false")) {
            return Boolean.parseBoolean(node.textValue());
          }
          throw bad(path, node, schema);
        case INT:
          if (logical instanceof LogicalTypes.Date && node.isTextual() && !isInteger(node.textValue())) {
            return (int) LocalDate.parse(node.textValue()).toEpochDay();
          }
          if (logical instanceof LogicalTypes.TimeMillis && node.isTextual() && !isInteger(node.textValue())) {
            return (int) (LocalTime.parse(node.textValue()).toNanoOfDay() / 1_000_000L);
          }
          return Math.toIntExact(integer(node, path, schema));
        case LONG:
          if (node.isTextual() && !isInteger(node.textValue())) {
            String t = node.textValue();
            if (logical instanceof LogicalTypes.TimestampMillis) {
              return Instant.parse(t).toEpochMilli();
            }
            if (logical instanceof LogicalTypes.TimestampMicros) {
              Instant i = Instant.parse(t);
              return Math.addExact(Math.multiplyExact(i.getEpochSecond(), 1_000_000L), i.getNano() / 1_000L);
            }
            if (logical instanceof LogicalTypes.LocalTimestampMillis) {
              return LocalDateTime.parse(t).toInstant(ZoneOffset.UTC).toEpochMilli();
            }
            if (logical instanceof LogicalTypes.TimeMicros) {
              return LocalTime.parse(t).toNanoOfDay() / 1_000L;
            }
          }
          return integer(node, path, schema);
        case FLOAT:
          return (float) number(node, path, schema);
        case DOUBLE:
          return number(node, path, schema);
        case STRING:
          if (!node.isValueNode()) {
            throw bad(path, node, schema);
          }
          if (logical != null && "uuid".equals(logical.getName())) {
            java.util.UUID.fromString(node.asText());
          }
          return node.asText();
        case ENUM:
          if (!node.isTextual() || !schema.hasEnumSymbol(node.textValue())) {
            throw new BadValueException(path + ": " + abbreviate(node) + " is not one of " + schema.getEnumSymbols());
          }
          return new GenericData.EnumSymbol(schema, node.textValue());
        case BYTES:
          if (logical instanceof LogicalTypes.Decimal) {
            return DECIMALS.toBytes(decimal(node, (LogicalTypes.Decimal) logical, path), schema, logical);
          }
          return ByteBuffer.wrap(base64(node, path));
        case FIXED: {
          if (logical instanceof LogicalTypes.Decimal) {
            return DECIMALS.toFixed(decimal(node, (LogicalTypes.Decimal) logical, path), schema, logical);
          }
          byte[] bytes = base64(node, path);
          if (bytes.length != schema.getFixedSize()) {
            throw new BadValueException(path + ": " + bytes.length + " bytes where fixed " + schema.getName() + " has "
                + schema.getFixedSize());
          }
          return new GenericData.Fixed(schema, bytes);
        }
        case ARRAY: {
          if (!node.isArray()) {
            throw bad(path, node, schema);
          }
          List<Object> out = new ArrayList<>();
          for (int i = 0; i < node.size(); i++) {
            out.add(value(node.get(i), schema.getElementType(), path + "[" + i + "]"));
          }
          return out;
        }
        case MAP: {
          if (!node.isObject()) {
            throw bad(path, node, schema);
          }
          Map<String, Object> out = new LinkedHashMap<>();
          for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            out.put(e.getKey(), value(e.getValue(), schema.getValueType(), path + "." + e.getKey()));
          }
          return out;
        }
        case RECORD: {
          if (!node.isObject()) {
            throw bad(path, node, schema);
          }
          GenericData.Record out = new GenericData.Record(schema);
          for (Schema.Field field : schema.getFields()) {
            String fieldPath = path.isEmpty() ? field.name() : path + "." + field.name();
            JsonNode child = node.get(field.name());
            out.put(field.pos(), child == null ? missing(field, fieldPath) : value(child, field.schema(), fieldPath));
          }
          return out;
        }
        default:
          throw new BadValueException(path + ": Avro " + schema.getType() + " is not supported in text formats");
      }
    } catch (DateTimeParseException | ArithmeticException | IllegalArgumentException e) {
      throw new BadValueException(path + ": " + abbreviate(node) + " is not a valid " + describe(schema) + " ("
          + e.getMessage() + ")");
    }
  }

  /** The JSON form of a record (for JSON lines, and CSV cells of complex fields). */
  public static ObjectNode json(GenericRecord record) {
    return (ObjectNode) json(record, record.getSchema());
  }

  static JsonNode json(Object value, Schema schema) {
    if (value == null) {
      return NODES.nullNode();
    }
    if (schema.getType() == Schema.Type.UNION) {
      return json(value, schema.getTypes().get(GenericData.get().resolveUnion(schema, value)));
    }
    LogicalType logical = schema.getLogicalType();
    switch (schema.getType()) {
      case BOOLEAN:
        return NODES.booleanNode((Boolean) value);
      case INT: {
        int v = (Integer) value;
        if (logical instanceof LogicalTypes.Date) {
          return NODES.textNode(LocalDate.ofEpochDay(v).toString());
        }
        if (logical instanceof LogicalTypes.TimeMillis) {
          return NODES.textNode(LocalTime.ofNanoOfDay(v * 1_000_000L).toString());
        }
        return NODES.numberNode(v);
      }
      case LONG: {
        long v = (Long) value;
        if (logical instanceof LogicalTypes.TimestampMillis) {
          return NODES.textNode(Instant.ofEpochMilli(v).toString());
        }
        if (logical instanceof LogicalTypes.TimestampMicros) {
          return NODES.textNode(Instant.ofEpochSecond(Math.floorDiv(v, 1_000_000L), Math.floorMod(v, 1_000_000L) * 1_000L).toString());
        }
        if (logical instanceof LogicalTypes.LocalTimestampMillis) {
          return NODES.textNode(LocalDateTime.ofInstant(Instant.ofEpochMilli(v), ZoneOffset.UTC).toString());
        }
        if (logical instanceof LogicalTypes.TimeMicros) {
          return NODES.textNode(LocalTime.ofNanoOfDay(v * 1_000L).toString());
        }
        return NODES.numberNode(v);
      }
      case FLOAT:
        return NODES.numberNode((Float) value);
      case DOUBLE:
        return NODES.numberNode((Double) value);
      case STRING:
      case ENUM:
        return NODES.textNode(value.toString());
      case BYTES: {
        ByteBuffer b = ((ByteBuffer) value).duplicate();
        if (logical instanceof LogicalTypes.Decimal) {
          return NODES.textNode(DECIMALS.fromBytes(b, schema, logical).toPlainString());
        }
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        return NODES.textNode(Base64.getEncoder().encodeToString(bytes));
      }
      case FIXED: {
        GenericFixed f = (GenericFixed) value;
        if (logical instanceof LogicalTypes.Decimal) {
          return NODES.textNode(DECIMALS.fromFixed(f, schema, logical).toPlainString());
        }
        return NODES.textNode(Base64.getEncoder().encodeToString(f.bytes()));
      }
      case ARRAY: {
        ArrayNode out = NODES.arrayNode();
        for (Object e : (java.util.Collection<?>) value) {
          out.add(json(e, schema.getElementType()));
        }
        return out;
      }
      case MAP: {
        ObjectNode out = NODES.objectNode();
        for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
          out.set(e.getKey().toString(), json(e.getValue(), schema.getValueType()));
        }
        return out;
      }
      case RECORD: {
        GenericRecord r = (GenericRecord) value;
        ObjectNode out = NODES.objectNode();
        for (Schema.Field field : schema.getFields()) {
          out.set(field.name(), json(r.get(field.pos()), field.schema()));
        }
        return out;
      }
      default:
        throw new IllegalArgumentException("Avro " + schema.getType() + " is not supported in text formats");
    }
  }

  /** A CSV cell: text for simple values (ISO times, plain decimals, base64 bytes), JSON for complex ones, "" for null. */
  public static String cell(Object value, Schema schema) {
    JsonNode node = json(value, schema);
    return node.isNull() ? "" : node.isValueNode() ? node.asText() : node.toString();
  }

  private static long integer(JsonNode node, String path, Schema schema) throws BadValueException {
    if (node.isIntegralNumber() && node.canConvertToLong()) {
      return node.longValue();
    }
    if (node.isTextual() && isInteger(node.textValue())) {
      return Long.parseLong(node.textValue().trim());
    }
    throw bad(path, node, schema);
  }

  private static double number(JsonNode node, String path, Schema schema) throws BadValueException {
    if (node.isNumber()) {
      return node.doubleValue();
    }
    if (node.isTextual()) {
      return Double.parseDouble(node.textValue().trim());
    }
    throw bad(path, node, schema);
  }

  private static BigDecimal decimal(JsonNode node, LogicalTypes.Decimal logical, String path) throws BadValueException {
    BigDecimal d = node.isNumber() ? node.decimalValue() : new BigDecimal(node.asText().trim());
    try {
      BigDecimal scaled = d.setScale(logical.getScale(), java.math.RoundingMode.UNNECESSARY);
      if (scaled.precision() > logical.getPrecision()) {
        throw new BadValueException(path + ": " + d + " has more than " + logical.getPrecision() + " digits");
      }
      return scaled;
    } catch (ArithmeticException e) {
      throw new BadValueException(path + ": " + d + " has more than " + logical.getScale() + " decimal places");
    }
  }

  private static byte[] base64(JsonNode node, String path) throws BadValueException {
    if (!node.isTextual()) {
      throw new BadValueException(path + ": bytes are written as base64 text, got " + abbreviate(node));
    }
    try {
      return Base64.getDecoder().decode(node.textValue());
    } catch (IllegalArgumentException e) {
      throw new BadValueException(path + ": not base64: " + abbreviate(node));
    }
  }

  private static boolean isInteger(String text) {
    return text.trim().matches("[-+]?\\d+");
  }

  private static boolean isNullable(Schema schema) {
    return schema.getType() == Schema.Type.NULL || schema.getType() == Schema.Type.UNION
        && schema.getTypes().stream().anyMatch(s -> s.getType() == Schema.Type.NULL);
  }

  private static Schema nonNull(Schema schema) {
    if (schema.getType() != Schema.Type.UNION) {
      return schema;
    }
    List<Schema> branches = schema.getTypes().stream().filter(s -> s.getType() != Schema.Type.NULL).toList();
    return branches.size() == 1 ? branches.get(0) : schema;
  }

  private static BadValueException bad(String path, JsonNode node, Schema schema) {
    return new BadValueException((path.isEmpty() ? "record" : path) + ": " + abbreviate(node) + " is not a valid "
        + describe(schema));
  }

  private static String describe(Schema schema) {
    LogicalType logical = schema.getLogicalType();
    return schema.getType().getName() + (logical == null ? "" : " (" + logical.getName() + ")");
  }

  private static String abbreviate(JsonNode node) {
    String s = node.toString();
    return s.length() > 80 ? s.substring(0, 77) + "..." : s;
  }

  private RecordText() {}
}
