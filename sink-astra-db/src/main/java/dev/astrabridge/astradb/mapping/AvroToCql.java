package dev.astrabridge.astradb.mapping;

import com.datastax.oss.driver.api.core.data.CqlDuration;
import com.datastax.oss.driver.api.core.data.CqlVector;
import com.datastax.oss.driver.api.core.data.TupleValue;
import com.datastax.oss.driver.api.core.data.UdtValue;
import com.datastax.oss.driver.api.core.type.DataType;
import com.datastax.oss.driver.api.core.type.DataTypes;
import com.datastax.oss.driver.api.core.type.ListType;
import com.datastax.oss.driver.api.core.type.MapType;
import com.datastax.oss.driver.api.core.type.SetType;
import com.datastax.oss.driver.api.core.type.TupleType;
import com.datastax.oss.driver.api.core.type.UserDefinedType;
import com.datastax.oss.driver.api.core.type.VectorType;
import com.datastax.oss.driver.api.core.type.codec.TypeCodec;
import com.datastax.oss.driver.api.core.type.codec.registry.CodecRegistry;
import com.datastax.oss.protocol.internal.ProtocolConstants;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import org.apache.avro.Conversions;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.GenericRecord;

/**
 * Converters from Avro's generic values to the Java types the driver's default codecs take for each CQL type
 * (text→String, timestamp→Instant, list→List, udt→UdtValue, vector→CqlVector, ...). Chosen once per (Avro schema,
 * CQL type) when the plan is built, so an incompatible pair is reported at start; a value that cannot be converted
 * at run time (a malformed uuid string, a vector of the wrong size) throws {@link ValueException}.
 */
final class AvroToCql {

  /** Converts one Avro value; null in, null out. */
  @FunctionalInterface
  interface Converter {
    Object convert(Object avro) throws ValueException;
  }

  /** A value that the column cannot take. */
  static final class ValueException extends Exception {
    private static final long serialVersionUID = 1L;

    ValueException(String message) {
      super(message);
    }
  }

  /** An Avro type the column type cannot take at all (reported at start). */
  static final class IncompatibleException extends Exception {
    private static final long serialVersionUID = 1L;

    IncompatibleException(String message) {
      super(message);
    }
  }

  private static final Pattern IP_LITERAL = Pattern.compile("[0-9A-Fa-f:.%]+");
  private static final Conversions.DecimalConversion DECIMALS = new Conversions.DecimalConversion();
  private static final GenericData JSON = new GenericData();

  private final CodecRegistry codecs;

  AvroToCql(CodecRegistry codecs) {
    this.codecs = codecs;
  }

  /** The driver's codec for a CQL type; the converters produce exactly its Java type. */
  TypeCodec<Object> codecFor(DataType type) {
    return codecs.codecFor(type);
  }

  /** The name of an Avro type for messages: {@code long (timestamp-millis)}, {@code record Customer}... */
  static String describe(Schema schema) {
    if (schema.getType() == Schema.Type.UNION) {
      List<String> branches = new ArrayList<>();
      schema.getTypes().forEach(s -> branches.add(describe(s)));
      return "union [" + String.join(", ", branches) + "]";
    }
    LogicalType logical = schema.getLogicalType();
    String base = schema.getType().getName();
    if (schema.getType() == Schema.Type.RECORD || schema.getType() == Schema.Type.ENUM || schema.getType() == Schema.Type.FIXED) {
      base += " " + schema.getName();
    }
    return logical == null ? base : base + " (" + logical.getName() + ")";
  }

  static Schema nonNull(Schema schema) {
    if (schema.getType() == Schema.Type.UNION) {
      List<Schema> branches = new ArrayList<>();
      for (Schema s : schema.getTypes()) {
        if (s.getType() != Schema.Type.NULL) {
          branches.add(s);
        }
      }
      return branches.size() == 1 ? branches.get(0) : schema;
    }
    return schema;
  }

  Converter converter(Schema schema, DataType type) throws IncompatibleException {
    if (schema.getType() == Schema.Type.NULL) {
      return v -> null;
    }
    if (schema.getType() == Schema.Type.UNION) {
      return unionConverter(schema, type);
    }
    Converter c = direct(schema, type);
    if (c == null) {
      throw new IncompatibleException("Avro " + describe(schema) + " cannot be written to a " + type.asCql(true, true)
          + " column");
    }
    return v -> v == null ? null : c.convert(v);
  }

  private Converter unionConverter(Schema union, DataType type) throws IncompatibleException {
    Schema single = nonNull(union);
    if (single != union) {
      return converter(single, type);
    }
    // several non-null branches: each branch that fits gets its converter; the value's branch picks at run time
    List<Schema> branches = union.getTypes();
    Converter[] converters = new Converter[branches.size()];
    boolean any = false;
    for (int i = 0; i < branches.size(); i++) {
      try {
        converters[i] = converter(branches.get(i), type);
        any = true;
      } catch (IncompatibleException e) {
        converters[i] = null;
      }
    }
    if (!any) {
      throw new IncompatibleException("no branch of Avro " + describe(union) + " can be written to a "
          + type.asCql(true, true) + " column");
    }
    return v -> {
      if (v == null) {
        return null;
      }
      int branch = JSON.resolveUnion(union, v);
      if (converters[branch] == null) {
        throw new ValueException("the value is of branch " + describe(branches.get(branch)) + ", which a "
            + type.asCql(true, true) + " column cannot take");
      }
      return converters[branch].convert(v);
    };
  }

  /** The converter for a non-union schema, or null when the pair is not supported. */
  private Converter direct(Schema schema, DataType type) throws IncompatibleException {
    Schema.Type avro = schema.getType();
    LogicalType logical = schema.getLogicalType();
    if (type instanceof VectorType) {
      return vector(schema, (VectorType) type);
    }
    switch (type.getProtocolCode()) {
      case ProtocolConstants.DataType.BOOLEAN:
        return avro == Schema.Type.BOOLEAN ? v -> v : null;
      case ProtocolConstants.DataType.INT:
        return avro == Schema.Type.INT && logical == null ? v -> v : null;
      case ProtocolConstants.DataType.BIGINT:
        if ((avro == Schema.Type.LONG || avro == Schema.Type.INT) && logical == null) {
          return v -> ((Number) v).longValue();
        }
        return null;
      case ProtocolConstants.DataType.SMALLINT:
        return avro == Schema.Type.INT && logical == null ? v -> narrow((Integer) v, Short.MIN_VALUE, Short.MAX_VALUE, "smallint", true) : null;
      case ProtocolConstants.DataType.TINYINT:
        return avro == Schema.Type.INT && logical == null ? v -> narrow((Integer) v, Byte.MIN_VALUE, Byte.MAX_VALUE, "tinyint", false) : null;
      case ProtocolConstants.DataType.FLOAT:
        return avro == Schema.Type.FLOAT || (avro == Schema.Type.INT && logical == null) ? v -> ((Number) v).floatValue() : null;
      case ProtocolConstants.DataType.DOUBLE:
        if (logical == null && (avro == Schema.Type.DOUBLE || avro == Schema.Type.FLOAT || avro == Schema.Type.INT || avro == Schema.Type.LONG)) {
          return v -> ((Number) v).doubleValue();
        }
        return null;
      case ProtocolConstants.DataType.VARCHAR:
        return text(schema);
      case ProtocolConstants.DataType.ASCII: {
        Converter text = text(schema);
        return text == null ? null : v -> {
          String s = (String) text.convert(v);
          if (!StandardCharsets.US_ASCII.newEncoder().canEncode(s)) {
            throw new ValueException("'" + abbreviate(s) + "' is not ASCII");
          }
          return s;
        };
      }
      case ProtocolConstants.DataType.INET:
        return avro == Schema.Type.STRING ? v -> inet(v.toString()) : null;
      case ProtocolConstants.DataType.BLOB:
        if (avro == Schema.Type.BYTES && logical == null) {
          return v -> ((ByteBuffer) v).duplicate();
        }
        if (avro == Schema.Type.FIXED && logical == null) {
          return v -> ByteBuffer.wrap(((GenericFixed) v).bytes().clone());
        }
        return null;
      case ProtocolConstants.DataType.DECIMAL:
        return decimal(schema);
      case ProtocolConstants.DataType.VARINT: {
        Converter decimal = decimal(schema);
        return decimal == null ? null : v -> {
          BigDecimal d = (BigDecimal) decimal.convert(v);
          try {
            return d.toBigIntegerExact();
          } catch (ArithmeticException e) {
            throw new ValueException(d + " has a fraction; a varint column takes whole numbers");
          }
        };
      }
      case ProtocolConstants.DataType.UUID:
        return uuid(schema, false);
      case ProtocolConstants.DataType.TIMEUUID:
        return uuid(schema, true);
      case ProtocolConstants.DataType.DATE:
        if (avro == Schema.Type.INT && logical instanceof LogicalTypes.Date) {
          return v -> LocalDate.ofEpochDay((Integer) v);
        }
        if (avro == Schema.Type.STRING) {
          return v -> parse(v.toString(), LocalDate::parse, "a date (yyyy-mm-dd)");
        }
        if (avro == Schema.Type.LONG && isTimestamp(logical)) {
          Converter instant = timestamp(schema);
          return v -> ((Instant) instant.convert(v)).atOffset(ZoneOffset.UTC).toLocalDate();
        }
        return null;
      case ProtocolConstants.DataType.TIME:
        if (avro == Schema.Type.INT && logical instanceof LogicalTypes.TimeMillis) {
          return v -> LocalTime.ofNanoOfDay((Integer) v * 1_000_000L);
        }
        if (avro == Schema.Type.LONG && logical instanceof LogicalTypes.TimeMicros) {
          return v -> LocalTime.ofNanoOfDay((Long) v * 1_000L);
        }
        if (avro == Schema.Type.STRING) {
          return v -> parse(v.toString(), LocalTime::parse, "a time (hh:mm:ss[.fff])");
        }
        return null;
      case ProtocolConstants.DataType.TIMESTAMP:
        return timestamp(schema);
      case ProtocolConstants.DataType.DURATION:
        return avro == Schema.Type.STRING ? v -> {
          try {
            return CqlDuration.from(v.toString());
          } catch (IllegalArgumentException e) {
            throw new ValueException("'" + abbreviate(v.toString()) + "' is not a duration (ISO-8601 like P1DT2H or 1h30m)");
          }
        } : null;
      case ProtocolConstants.DataType.LIST: {
        if (avro != Schema.Type.ARRAY) {
          return null;
        }
        Converter element = element(schema.getElementType(), ((ListType) type).getElementType(), "list");
        return v -> {
          List<Object> out = new ArrayList<>();
          for (Object e : (List<?>) v) {
            out.add(notNullElement(element.convert(e), "list"));
          }
          return out;
        };
      }
      case ProtocolConstants.DataType.SET: {
        if (avro != Schema.Type.ARRAY) {
          return null;
        }
        Converter element = element(schema.getElementType(), ((SetType) type).getElementType(), "set");
        return v -> {
          Set<Object> out = new LinkedHashSet<>();
          for (Object e : (List<?>) v) {
            out.add(notNullElement(element.convert(e), "set"));
          }
          return out;
        };
      }
      case ProtocolConstants.DataType.MAP: {
        if (avro != Schema.Type.MAP) {
          return null;
        }
        MapType mapType = (MapType) type;
        Converter key = element(Schema.create(Schema.Type.STRING), mapType.getKeyType(), "map key");
        Converter value = element(schema.getValueType(), mapType.getValueType(), "map value");
        return v -> {
          Map<Object, Object> out = new LinkedHashMap<>();
          for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
            out.put(notNullElement(key.convert(e.getKey().toString()), "map"), notNullElement(value.convert(e.getValue()), "map"));
          }
          return out;
        };
      }
      case ProtocolConstants.DataType.UDT:
        return avro == Schema.Type.RECORD ? udt(schema, (UserDefinedType) type) : null;
      case ProtocolConstants.DataType.TUPLE:
        return tuple(schema, (TupleType) type);
      default:
        return null;
    }
  }

  private Converter element(Schema schema, DataType type, String where) throws IncompatibleException {
    try {
      return converter(schema, type);
    } catch (IncompatibleException e) {
      throw new IncompatibleException(where + " element: " + e.getMessage());
    }
  }

  private static Object notNullElement(Object value, String where) throws ValueException {
    if (value == null) {
      throw new ValueException("a " + where + " cannot hold null elements");
    }
    return value;
  }

  private static Converter text(Schema schema) {
    switch (schema.getType()) {
      case STRING:
      case ENUM:
        return Object::toString;
      case RECORD:
      case ARRAY:
      case MAP:
        // nested structures into a text column: their JSON
        return v -> JSON.toString(v);
      case BOOLEAN:
      case INT:
      case LONG:
      case FLOAT:
      case DOUBLE:
        return schema.getLogicalType() == null ? String::valueOf : null;
      case BYTES:
      case FIXED:
        if (schema.getType() == Schema.Type.FIXED && schema.getLogicalType() == null) {
          // a fixed-size code (currency, country): its bytes as UTF-8 text
          return v -> new String(((GenericFixed) v).bytes(), StandardCharsets.UTF_8);
        }
        if (schema.getLogicalType() instanceof LogicalTypes.Decimal) {
          Converter decimal = decimal(schema);
          return v -> ((BigDecimal) decimal.convert(v)).toPlainString();
        }
        return null;
      default:
        return null;
    }
  }

  private static Converter decimal(Schema schema) {
    LogicalType logical = schema.getLogicalType();
    if (logical instanceof LogicalTypes.Decimal) {
      if (schema.getType() == Schema.Type.BYTES) {
        return v -> DECIMALS.fromBytes(((ByteBuffer) v).duplicate(), schema, logical);
      }
      if (schema.getType() == Schema.Type.FIXED) {
        return v -> DECIMALS.fromFixed((GenericFixed) v, schema, logical);
      }
    }
    if (logical == null) {
      switch (schema.getType()) {
        case INT:
        case LONG:
          return v -> BigDecimal.valueOf(((Number) v).longValue());
        case FLOAT:
        case DOUBLE:
          return v -> BigDecimal.valueOf(((Number) v).doubleValue());
        case STRING:
          return v -> parse(v.toString(), BigDecimal::new, "a decimal number");
        default:
          return null;
      }
    }
    return null;
  }

  private static Converter uuid(Schema schema, boolean timeBased) {
    Converter parse;
    if (schema.getType() == Schema.Type.STRING) {
      parse = v -> parse(v.toString(), UUID::fromString, "a uuid");
    } else if (schema.getType() == Schema.Type.FIXED && schema.getFixedSize() == 16) {
      parse = v -> {
        ByteBuffer b = ByteBuffer.wrap(((GenericFixed) v).bytes());
        return new UUID(b.getLong(), b.getLong());
      };
    } else {
      return null;
    }
    if (!timeBased) {
      return parse;
    }
    return v -> {
      UUID u = (UUID) parse.convert(v);
      if (u.version() != 1) {
        throw new ValueException(u + " is a version " + u.version() + " uuid; a timeuuid column takes version 1");
      }
      return u;
    };
  }

  private static boolean isTimestamp(LogicalType logical) {
    return logical instanceof LogicalTypes.TimestampMillis || logical instanceof LogicalTypes.TimestampMicros
        || logical instanceof LogicalTypes.LocalTimestampMillis || logical instanceof LogicalTypes.LocalTimestampMicros;
  }

  private static Converter timestamp(Schema schema) {
    LogicalType logical = schema.getLogicalType();
    if (schema.getType() == Schema.Type.LONG) {
      if (logical instanceof LogicalTypes.TimestampMicros || logical instanceof LogicalTypes.LocalTimestampMicros) {
        // local-timestamp: a wall-clock time without zone, stored as if UTC
        return v -> {
          long micros = (Long) v;
          return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
        };
      }
      if (logical == null || logical instanceof LogicalTypes.TimestampMillis || logical instanceof LogicalTypes.LocalTimestampMillis) {
        // a plain long is taken as epoch milliseconds, like CQL's own timestamp literals
        return v -> Instant.ofEpochMilli((Long) v);
      }
      return null;
    }
    if (schema.getType() == Schema.Type.STRING) {
      return v -> parse(v.toString(), Instant::parse, "an ISO-8601 instant (2026-01-31T12:00:00Z)");
    }
    return null;
  }

  private Converter udt(Schema record, UserDefinedType udt) throws IncompatibleException {
    List<String> udtFields = new ArrayList<>();
    udt.getFieldNames().forEach(f -> udtFields.add(f.asInternal()));
    int n = udtFields.size();
    int[] positions = new int[n];
    Converter[] converters = new Converter[n];
    @SuppressWarnings("unchecked")
    TypeCodec<Object>[] fieldCodecs = new TypeCodec[n];
    List<String> problems = new ArrayList<>();
    int matched = 0;
    for (int i = 0; i < n; i++) {
      Schema.Field field = Names.field(record, udtFields.get(i));
      positions[i] = -1;
      if (field == null) {
        continue;
      }
      try {
        converters[i] = converter(field.schema(), udt.getFieldTypes().get(i));
        fieldCodecs[i] = codecs.codecFor(udt.getFieldTypes().get(i));
        positions[i] = field.pos();
        matched++;
      } catch (IncompatibleException e) {
        problems.add("field " + udtFields.get(i) + ": " + e.getMessage());
      }
    }
    if (!problems.isEmpty()) {
      throw new IncompatibleException("record " + record.getName() + " into UDT " + udt.getName().asCql(true) + ": "
          + String.join("; ", problems));
    }
    if (matched == 0) {
      throw new IncompatibleException("record " + record.getName() + " has no field named like a field of UDT "
          + udt.getName().asCql(true) + " " + udtFields);
    }
    return v -> {
      GenericRecord r = (GenericRecord) v;
      UdtValue value = udt.newValue();
      for (int i = 0; i < n; i++) {
        if (positions[i] >= 0) {
          Object converted = converters[i].convert(r.get(positions[i]));
          if (converted != null) {
            value = value.set(i, converted, fieldCodecs[i]);
          }
        }
      }
      return value;
    };
  }

  private Converter tuple(Schema schema, TupleType tuple) throws IncompatibleException {
    List<DataType> types = tuple.getComponentTypes();
    int n = types.size();
    Converter[] converters = new Converter[n];
    @SuppressWarnings("unchecked")
    TypeCodec<Object>[] componentCodecs = new TypeCodec[n];
    for (int i = 0; i < n; i++) {
      componentCodecs[i] = codecs.codecFor(types.get(i));
    }
    if (schema.getType() == Schema.Type.RECORD) {
      // record fields by position
      if (schema.getFields().size() != n) {
        throw new IncompatibleException("record " + schema.getName() + " has " + schema.getFields().size()
            + " fields; the tuple has " + n + " components");
      }
      for (int i = 0; i < n; i++) {
        converters[i] = element(schema.getFields().get(i).schema(), types.get(i), "tuple component " + i);
      }
      return v -> {
        GenericRecord r = (GenericRecord) v;
        TupleValue value = tuple.newValue();
        for (int i = 0; i < n; i++) {
          Object c = converters[i].convert(r.get(i));
          if (c != null) {
            value = value.set(i, c, componentCodecs[i]);
          }
        }
        return value;
      };
    }
    if (schema.getType() == Schema.Type.ARRAY) {
      for (int i = 0; i < n; i++) {
        converters[i] = element(schema.getElementType(), types.get(i), "tuple component " + i);
      }
      return v -> {
        List<?> list = (List<?>) v;
        if (list.size() != n) {
          throw new ValueException("an array of " + list.size() + " elements for a tuple of " + n);
        }
        TupleValue value = tuple.newValue();
        for (int i = 0; i < n; i++) {
          Object c = converters[i].convert(list.get(i));
          if (c != null) {
            value = value.set(i, c, componentCodecs[i]);
          }
        }
        return value;
      };
    }
    return null;
  }

  private static Converter vector(Schema schema, VectorType type) throws IncompatibleException {
    if (schema.getType() != Schema.Type.ARRAY) {
      return null;
    }
    Schema element = nonNull(schema.getElementType());
    if (!type.getElementType().equals(DataTypes.FLOAT)
        || (element.getType() != Schema.Type.FLOAT && element.getType() != Schema.Type.DOUBLE)) {
      throw new IncompatibleException("a " + type.asCql(true, true) + " column takes an Avro array of float (or double);"
          + " got " + describe(schema));
    }
    int dimensions = type.getDimensions();
    return v -> {
      List<?> list = (List<?>) v;
      if (list.size() != dimensions) {
        throw new ValueException("a vector of " + dimensions + " dimensions cannot take " + list.size() + " values");
      }
      List<Float> floats = new ArrayList<>(dimensions);
      for (Object o : list) {
        if (o == null) {
          throw new ValueException("a vector cannot hold null");
        }
        floats.add(((Number) o).floatValue());
      }
      return CqlVector.newInstance(floats);
    };
  }

  private static Object narrow(int value, int min, int max, String type, boolean isShort) throws ValueException {
    if (value < min || value > max) {
      throw new ValueException(value + " is out of range for " + type + " (" + min + ".." + max + ")");
    }
    return isShort ? (Object) (short) value : (Object) (byte) value;
  }

  private static InetAddress inet(String text) throws ValueException {
    // only literals: a host name here would mean a DNS lookup per record
    if (!IP_LITERAL.matcher(text).matches()) {
      throw new ValueException("'" + abbreviate(text) + "' is not an IP address literal");
    }
    try {
      return InetAddress.getByName(text);
    } catch (UnknownHostException e) {
      throw new ValueException("'" + abbreviate(text) + "' is not an IP address literal");
    }
  }

  @FunctionalInterface
  private interface Parser<T> {
    T parse(String text);
  }

  private static <T> T parse(String text, Parser<T> parser, String what) throws ValueException {
    try {
      return parser.parse(text);
    } catch (IllegalArgumentException | DateTimeParseException | ArithmeticException e) {
      throw new ValueException("'" + abbreviate(text) + "' is not " + what);
    }
  }

  static String abbreviate(String s) {
    return s.length() <= 64 ? s : s.substring(0, 61) + "...";
  }

}
