package dev.astrabridge.astradb.read;

import com.datastax.oss.driver.api.core.CqlIdentifier;
import com.datastax.oss.driver.api.core.data.CqlDuration;
import com.datastax.oss.driver.api.core.data.CqlVector;
import com.datastax.oss.driver.api.core.data.TupleValue;
import com.datastax.oss.driver.api.core.data.UdtValue;
import com.datastax.oss.driver.api.core.metadata.schema.ColumnMetadata;
import com.datastax.oss.driver.api.core.metadata.schema.TableMetadata;
import com.datastax.oss.driver.api.core.type.DataType;
import com.datastax.oss.driver.api.core.type.ListType;
import com.datastax.oss.driver.api.core.type.MapType;
import com.datastax.oss.driver.api.core.type.SetType;
import com.datastax.oss.driver.api.core.type.TupleType;
import com.datastax.oss.driver.api.core.type.UserDefinedType;
import com.datastax.oss.driver.api.core.type.VectorType;
import com.datastax.oss.protocol.internal.ProtocolConstants;
import dev.astrabridge.astradb.mapping.Names;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Conversions;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;

/**
 * The read side's inverse of the write mapping: CQL values (the driver's default Java types) to Avro generic values
 * of a target schema. {@link #schemaFor} derives a schema from a table; a given schema's fields are matched to columns
 * by name as the write mapping's {@code *} does (exactly, then ignoring case and underscores), so records written
 * with a schema read back as records of the same schema. Converters are chosen once per (CQL type, Avro schema);
 * an unsupported pair is reported when the read starts.
 */
public final class CqlToAvro {

  /** Converts one CQL value (never null) to its Avro form. */
  @FunctionalInterface
  public interface Converter {
    Object convert(Object cql);
  }

  private static final Conversions.DecimalConversion DECIMALS = new Conversions.DecimalConversion();

  /**
   * An Avro schema for a table's columns: partition and clustering key columns required, the others nullable
   * (default null). text → string, int/smallint/tinyint → int, bigint/counter → long, uuid/timeuuid → string (uuid),
   * timestamp → long (timestamp-millis), date → int (date), time → long (time-micros), decimal and varint → string
   * (CQL decimals carry a per-value scale that Avro's decimal cannot), inet → string, duration → string (ISO-8601),
   * blob → bytes, collections → array/map, UDT and tuple → record, vector → array.
   */
  public static Schema schemaFor(TableMetadata table) {
    SchemaBuilder.FieldAssembler<Schema> fields = SchemaBuilder.record(avroName(table.getName().asInternal()))
        .namespace(avroName(table.getKeyspace().asInternal())).doc("Rows of " + table.getKeyspace().asCql(true) + "."
            + table.getName().asCql(true)).fields();
    java.util.Set<CqlIdentifier> keys = new java.util.HashSet<>();
    table.getPrimaryKey().forEach(c -> keys.add(c.getName()));
    for (ColumnMetadata column : table.getColumns().values()) {
      String name = avroName(column.getName().asInternal());
      Schema type = schemaFor(column.getType(), name);
      if (keys.contains(column.getName())) {
        fields = fields.name(name).type(type).noDefault();
      } else {
        fields = fields.name(name).type(Schema.createUnion(Schema.create(Schema.Type.NULL), type)).withDefault(null);
      }
    }
    return fields.endRecord();
  }

  static Schema schemaFor(DataType type, String context) {
    if (type instanceof VectorType) {
      return Schema.createArray(schemaFor(((VectorType) type).getElementType(), context));
    }
    switch (type.getProtocolCode()) {
      case ProtocolConstants.DataType.BOOLEAN:
        return Schema.create(Schema.Type.BOOLEAN);
      case ProtocolConstants.DataType.INT:
      case ProtocolConstants.DataType.SMALLINT:
      case ProtocolConstants.DataType.TINYINT:
        return Schema.create(Schema.Type.INT);
      case ProtocolConstants.DataType.BIGINT:
      case ProtocolConstants.DataType.COUNTER:
        return Schema.create(Schema.Type.LONG);
      case ProtocolConstants.DataType.FLOAT:
        return Schema.create(Schema.Type.FLOAT);
      case ProtocolConstants.DataType.DOUBLE:
        return Schema.create(Schema.Type.DOUBLE);
      case ProtocolConstants.DataType.VARCHAR:
      case ProtocolConstants.DataType.ASCII:
      case ProtocolConstants.DataType.INET:
      case ProtocolConstants.DataType.DECIMAL:
      case ProtocolConstants.DataType.VARINT:
      case ProtocolConstants.DataType.DURATION:
        return Schema.create(Schema.Type.STRING);
      case ProtocolConstants.DataType.BLOB:
        return Schema.create(Schema.Type.BYTES);
      case ProtocolConstants.DataType.UUID:
      case ProtocolConstants.DataType.TIMEUUID:
        return LogicalTypes.uuid().addToSchema(Schema.create(Schema.Type.STRING));
      case ProtocolConstants.DataType.TIMESTAMP:
        return LogicalTypes.timestampMillis().addToSchema(Schema.create(Schema.Type.LONG));
      case ProtocolConstants.DataType.DATE:
        return LogicalTypes.date().addToSchema(Schema.create(Schema.Type.INT));
      case ProtocolConstants.DataType.TIME:
        return LogicalTypes.timeMicros().addToSchema(Schema.create(Schema.Type.LONG));
      case ProtocolConstants.DataType.LIST:
        return Schema.createArray(schemaFor(((ListType) type).getElementType(), context));
      case ProtocolConstants.DataType.SET:
        return Schema.createArray(schemaFor(((SetType) type).getElementType(), context));
      case ProtocolConstants.DataType.MAP:
        return Schema.createMap(schemaFor(((MapType) type).getValueType(), context));
      case ProtocolConstants.DataType.UDT: {
        UserDefinedType udt = (UserDefinedType) type;
        SchemaBuilder.FieldAssembler<Schema> fields = SchemaBuilder.record(avroName(context + "_" + udt.getName().asInternal()))
            .fields();
        for (int i = 0; i < udt.getFieldNames().size(); i++) {
          String name = avroName(udt.getFieldNames().get(i).asInternal());
          fields = fields.name(name).type(Schema.createUnion(Schema.create(Schema.Type.NULL),
              schemaFor(udt.getFieldTypes().get(i), context + "_" + name))).withDefault(null);
        }
        return fields.endRecord();
      }
      case ProtocolConstants.DataType.TUPLE: {
        TupleType tuple = (TupleType) type;
        SchemaBuilder.FieldAssembler<Schema> fields = SchemaBuilder.record(avroName(context + "_tuple")).fields();
        for (int i = 0; i < tuple.getComponentTypes().size(); i++) {
          fields = fields.name("f" + i).type(Schema.createUnion(Schema.create(Schema.Type.NULL),
              schemaFor(tuple.getComponentTypes().get(i), context + "_f" + i))).withDefault(null);
        }
        return fields.endRecord();
      }
      default:
        throw new IllegalArgumentException("CQL type " + type.asCql(true, true) + " has no Avro form");
    }
  }

  /** A valid Avro name for a CQL name (quoted CQL names may hold characters Avro names cannot). */
  static String avroName(String cql) {
    String name = cql.replaceAll("[^A-Za-z0-9_]", "_");
    return name.isEmpty() || Character.isDigit(name.charAt(0)) ? "_" + name : name;
  }

  /** The converter from a CQL type to an Avro schema; IllegalArgumentException naming both if unsupported. */
  public static Converter converter(DataType type, Schema schema) {
    Schema target = nonNull(schema);
    Converter c = direct(type, target);
    if (c == null) {
      throw new IllegalArgumentException("a " + type.asCql(true, true) + " column cannot be read into Avro "
          + describe(target));
    }
    return c;
  }

  private static Converter direct(DataType type, Schema schema) {
    Schema.Type avro = schema.getType();
    LogicalType logical = schema.getLogicalType();
    if (type instanceof VectorType) {
      if (avro != Schema.Type.ARRAY) {
        return null;
      }
      Converter element = converter(((VectorType) type).getElementType(), schema.getElementType());
      return v -> {
        List<Object> out = new ArrayList<>();
        for (Object e : (CqlVector<?>) v) {
          out.add(element.convert(e));
        }
        return out;
      };
    }
    switch (type.getProtocolCode()) {
      case ProtocolConstants.DataType.BOOLEAN:
        return avro == Schema.Type.BOOLEAN ? v -> v : text(avro);
      case ProtocolConstants.DataType.INT:
      case ProtocolConstants.DataType.SMALLINT:
      case ProtocolConstants.DataType.TINYINT:
      case ProtocolConstants.DataType.BIGINT:
      case ProtocolConstants.DataType.COUNTER:
      case ProtocolConstants.DataType.FLOAT:
      case ProtocolConstants.DataType.DOUBLE:
        return number(avro, logical);
      case ProtocolConstants.DataType.VARCHAR:
      case ProtocolConstants.DataType.ASCII:
        if (avro == Schema.Type.ENUM) {
          return v -> new GenericData.EnumSymbol(schema, v);
        }
        return text(avro);
      case ProtocolConstants.DataType.INET:
        return avro == Schema.Type.STRING ? v -> ((InetAddress) v).getHostAddress() : null;
      case ProtocolConstants.DataType.BLOB:
        if (avro == Schema.Type.BYTES && logical == null) {
          return v -> ((ByteBuffer) v).duplicate();
        }
        if (avro == Schema.Type.FIXED && logical == null) {
          return v -> {
            ByteBuffer b = ((ByteBuffer) v).duplicate();
            byte[] bytes = new byte[b.remaining()];
            b.get(bytes);
            return new GenericData.Fixed(schema, bytes);
          };
        }
        return null;
      case ProtocolConstants.DataType.DECIMAL:
      case ProtocolConstants.DataType.VARINT:
        return decimal(schema, type.getProtocolCode() == ProtocolConstants.DataType.VARINT);
      case ProtocolConstants.DataType.UUID:
      case ProtocolConstants.DataType.TIMEUUID:
        return avro == Schema.Type.STRING ? Object::toString : null;
      case ProtocolConstants.DataType.DATE:
        if (avro == Schema.Type.INT && logical instanceof LogicalTypes.Date) {
          return v -> (int) ((LocalDate) v).toEpochDay();
        }
        return avro == Schema.Type.STRING ? Object::toString : null;
      case ProtocolConstants.DataType.TIME:
        if (avro == Schema.Type.INT && logical instanceof LogicalTypes.TimeMillis) {
          return v -> (int) (((LocalTime) v).toNanoOfDay() / 1_000_000L);
        }
        if (avro == Schema.Type.LONG && logical instanceof LogicalTypes.TimeMicros) {
          return v -> ((LocalTime) v).toNanoOfDay() / 1_000L;
        }
        return avro == Schema.Type.STRING ? Object::toString : null;
      case ProtocolConstants.DataType.TIMESTAMP:
        if (avro == Schema.Type.LONG && (logical instanceof LogicalTypes.TimestampMillis
            || logical instanceof LogicalTypes.LocalTimestampMillis || logical == null)) {
          return v -> ((Instant) v).toEpochMilli();
        }
        if (avro == Schema.Type.LONG && (logical instanceof LogicalTypes.TimestampMicros
            || logical instanceof LogicalTypes.LocalTimestampMicros)) {
          return v -> ((Instant) v).toEpochMilli() * 1_000L;
        }
        return avro == Schema.Type.STRING ? Object::toString : null;
      case ProtocolConstants.DataType.DURATION:
        return avro == Schema.Type.STRING ? v -> iso8601((CqlDuration) v) : null;
      case ProtocolConstants.DataType.LIST:
      case ProtocolConstants.DataType.SET: {
        if (avro != Schema.Type.ARRAY) {
          return null;
        }
        DataType elementType = type instanceof ListType ? ((ListType) type).getElementType() : ((SetType) type).getElementType();
        Converter element = converter(elementType, schema.getElementType());
        return v -> {
          List<Object> out = new ArrayList<>();
          for (Object e : (Collection<?>) v) {
            out.add(element.convert(e));
          }
          return out;
        };
      }
      case ProtocolConstants.DataType.MAP: {
        if (avro != Schema.Type.MAP) {
          return null;
        }
        MapType map = (MapType) type;
        Converter key = converter(map.getKeyType(), Schema.create(Schema.Type.STRING));
        Converter value = converter(map.getValueType(), schema.getValueType());
        return v -> {
          Map<String, Object> out = new LinkedHashMap<>();
          for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
            out.put((String) key.convert(e.getKey()), value.convert(e.getValue()));
          }
          return out;
        };
      }
      case ProtocolConstants.DataType.UDT:
        return avro == Schema.Type.RECORD ? udt((UserDefinedType) type, schema) : null;
      case ProtocolConstants.DataType.TUPLE:
        return tuple((TupleType) type, schema);
      default:
        return null;
    }
  }

  private static Converter text(Schema.Type avro) {
    return avro == Schema.Type.STRING ? Object::toString : null;
  }

  private static Converter number(Schema.Type avro, LogicalType logical) {
    if (logical != null) {
      return null;
    }
    switch (avro) {
      case INT:
        return v -> v instanceof Integer ? v : ((Number) v).intValue();
      case LONG:
        return v -> ((Number) v).longValue();
      case FLOAT:
        return v -> ((Number) v).floatValue();
      case DOUBLE:
        return v -> ((Number) v).doubleValue();
      case STRING:
        return Object::toString;
      default:
        return null;
    }
  }

  private static Converter decimal(Schema schema, boolean varint) {
    Schema.Type avro = schema.getType();
    if (schema.getLogicalType() instanceof LogicalTypes.Decimal) {
      LogicalTypes.Decimal decimal = (LogicalTypes.Decimal) schema.getLogicalType();
      Converter toBigDecimal = varint ? v -> new BigDecimal((BigInteger) v) : v -> v;
      if (avro == Schema.Type.BYTES) {
        return v -> DECIMALS.toBytes(((BigDecimal) toBigDecimal.convert(v)).setScale(decimal.getScale(), RoundingMode.UNNECESSARY),
            schema, decimal);
      }
      if (avro == Schema.Type.FIXED) {
        return v -> DECIMALS.toFixed(((BigDecimal) toBigDecimal.convert(v)).setScale(decimal.getScale(), RoundingMode.UNNECESSARY),
            schema, decimal);
      }
      return null;
    }
    if (avro == Schema.Type.STRING) {
      return varint ? Object::toString : v -> ((BigDecimal) v).toPlainString();
    }
    if (avro == Schema.Type.DOUBLE) {
      return v -> ((Number) v).doubleValue();
    }
    if (avro == Schema.Type.LONG && varint) {
      return v -> ((BigInteger) v).longValueExact();
    }
    return null;
  }

  private static Converter udt(UserDefinedType type, Schema record) {
    List<Schema.Field> fields = record.getFields();
    int[] index = new int[fields.size()];
    Converter[] converters = new Converter[fields.size()];
    for (int f = 0; f < fields.size(); f++) {
      index[f] = -1;
      for (int i = 0; i < type.getFieldNames().size(); i++) {
        if (Names.same(type.getFieldNames().get(i).asInternal(), fields.get(f).name())) {
          index[f] = i;
          converters[f] = converter(type.getFieldTypes().get(i), fields.get(f).schema());
          break;
        }
      }
    }
    return v -> {
      UdtValue udt = (UdtValue) v;
      GenericData.Record out = new GenericData.Record(record);
      for (int f = 0; f < index.length; f++) {
        Object value = index[f] < 0 ? null : udt.getObject(index[f]);
        out.put(f, value == null ? defaultOf(fields.get(f)) : converters[f].convert(value));
      }
      return out;
    };
  }

  private static Converter tuple(TupleType type, Schema schema) {
    List<DataType> components = type.getComponentTypes();
    if (schema.getType() == Schema.Type.RECORD && schema.getFields().size() == components.size()) {
      Converter[] converters = new Converter[components.size()];
      for (int i = 0; i < converters.length; i++) {
        converters[i] = converter(components.get(i), schema.getFields().get(i).schema());
      }
      return v -> {
        TupleValue tuple = (TupleValue) v;
        GenericData.Record out = new GenericData.Record(schema);
        for (int i = 0; i < converters.length; i++) {
          Object value = tuple.getObject(i);
          out.put(i, value == null ? null : converters[i].convert(value));
        }
        return out;
      };
    }
    if (schema.getType() == Schema.Type.ARRAY) {
      Converter[] converters = new Converter[components.size()];
      for (int i = 0; i < converters.length; i++) {
        converters[i] = converter(components.get(i), schema.getElementType());
      }
      return v -> {
        TupleValue tuple = (TupleValue) v;
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < converters.length; i++) {
          Object value = tuple.getObject(i);
          out.add(value == null ? null : converters[i].convert(value));
        }
        return out;
      };
    }
    return null;
  }

  /** The value a field takes when its column is null or absent: its default, else null. */
  static Object defaultOf(Schema.Field field) {
    return field.hasDefaultValue() ? GenericData.get().getDefaultValue(field) : null;
  }

  /**
   * ISO-8601 for a CQL duration (P1Y2M3DT4H5M6S; months, days and time kept apart as CQL does). The driver parses
   * ISO-8601 with whole seconds only, so a duration with a fraction of a second is given in CQL's own format
   * (1h30m500ms), which the write side parses as well.
   */
  static String iso8601(CqlDuration d) {
    if (d.getNanoseconds() % 1_000_000_000L != 0) {
      return d.toString();
    }
    boolean negative = d.getMonths() < 0 || d.getDays() < 0 || d.getNanoseconds() < 0;
    long months = Math.abs((long) d.getMonths());
    long days = Math.abs((long) d.getDays());
    long nanos = Math.abs(d.getNanoseconds());
    StringBuilder s = new StringBuilder(negative ? "-P" : "P");
    if (months / 12 > 0) {
      s.append(months / 12).append('Y');
    }
    if (months % 12 > 0) {
      s.append(months % 12).append('M');
    }
    if (days > 0) {
      s.append(days).append('D');
    }
    if (nanos > 0) {
      s.append('T');
      long hours = nanos / 3_600_000_000_000L;
      long minutes = nanos / 60_000_000_000L % 60;
      long secondsNanos = nanos % 60_000_000_000L;
      if (hours > 0) {
        s.append(hours).append('H');
      }
      if (minutes > 0) {
        s.append(minutes).append('M');
      }
      if (secondsNanos > 0) {
        s.append(secondsNanos / 1_000_000_000L).append('S');
      }
    }
    return s.length() == (negative ? 2 : 1) ? "P0D" : s.toString();
  }

  static Schema nonNull(Schema schema) {
    if (schema.getType() == Schema.Type.UNION) {
      Schema single = null;
      for (Schema s : schema.getTypes()) {
        if (s.getType() != Schema.Type.NULL) {
          if (single != null) {
            throw new IllegalArgumentException("Avro " + schema + ": a union of several non-null types cannot be read"
                + " into (which branch would a column value take?)");
          }
          single = s;
        }
      }
      return single == null ? schema : single;
    }
    return schema;
  }

  private static String describe(Schema schema) {
    LogicalType logical = schema.getLogicalType();
    return schema.getType().getName() + (logical == null ? "" : " (" + logical.getName() + ")");
  }

  private CqlToAvro() {}
}
