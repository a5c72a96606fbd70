package dev.astrabridge.astradb.mapping;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.CqlIdentifier;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.BoundStatementBuilder;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.metadata.schema.ColumnMetadata;
import com.datastax.oss.driver.api.core.metadata.schema.KeyspaceMetadata;
import com.datastax.oss.driver.api.core.metadata.schema.TableMetadata;
import com.datastax.oss.driver.api.core.type.DataType;
import com.datastax.oss.driver.api.core.type.DataTypes;
import com.datastax.oss.driver.api.core.type.codec.TypeCodec;
import com.datastax.oss.driver.api.core.uuid.Uuids;
import com.datastax.oss.protocol.internal.ProtocolConstants;
import dev.astrabridge.astradb.mapping.AvroToCql.Converter;
import dev.astrabridge.astradb.mapping.AvroToCql.IncompatibleException;
import dev.astrabridge.astradb.mapping.AvroToCql.ValueException;
import dev.astrabridge.astradb.mapping.Expression.FieldPath;
import dev.astrabridge.astradb.mapping.Expression.Literal;
import dev.astrabridge.astradb.mapping.Expression.MetadataRef;
import dev.astrabridge.astradb.mapping.Expression.Now;
import dev.astrabridge.schemas.envelope.BridgeMessage;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;

/**
 * A mapping resolved against the real table: built once per worker (DoFn setup), it validates every entry against
 * the table's metadata and the reader schema, reports all problems together ({@link MappingValidationException}),
 * prepares the INSERT and DELETE statements, and then turns each record into a bound, idempotent statement.
 *
 * <p>INSERT binds every mapped column plus {@code USING TTL ? AND TIMESTAMP ?}; a null value is left unset (no
 * tombstone, partial updates keep other columns) unless {@link Options#writeNulls()}. The write-time is the
 * message's event time (else publish time, else now) unless {@code __timestamp} is mapped, so a replayed or retried
 * older version never overwrites a newer one. A record whose delete field is true, or a tombstone (empty payload)
 * whose primary key comes from message metadata, becomes {@code DELETE ... USING TIMESTAMP ?} with the same rule.
 */
public final class MappingPlan {
  /** Cassandra's maximum TTL (20 years). */
  static final int MAX_TTL_SECONDS = 630_720_000;

  /** Plan options beyond the entries. */
  public record Options(boolean writeNulls, String deleteField, int maxRowBytes, ConsistencyLevel consistency) {
    public static Options defaults() {
      return new Options(false, null, 1 << 20, ConsistencyLevel.LOCAL_QUORUM);
    }
  }

  /** Reads the value an expression names. */
  @FunctionalInterface
  interface Source {
    Object get(GenericRecord record, BridgeMessage message);
  }

  private record Binding(CqlIdentifier column, DataType type, String entry, Source source, Converter converter,
                         TypeCodec<Object> codec, boolean fromRecord, boolean primaryKey) {}

  private record Special(String entry, Source source, Converter toLong) {}

  private final String target;
  private final CqlSession session;
  private final Options options;
  private final List<Binding> bindings;
  private final List<Binding> primaryKey;
  private final Special ttl;
  private final Special timestamp;
  private final Source deleteFlag;
  private final PreparedStatement insert;
  private final PreparedStatement delete;

  private MappingPlan(String target, CqlSession session, Options options, List<Binding> bindings, Special ttl,
                      Special timestamp, Source deleteFlag, PreparedStatement insert, PreparedStatement delete) {
    this.target = target;
    this.session = session;
    this.options = options;
    this.bindings = bindings;
    this.primaryKey = bindings.stream().filter(Binding::primaryKey).collect(Collectors.toList());
    this.ttl = ttl;
    this.timestamp = timestamp;
    this.deleteFlag = deleteFlag;
    this.insert = insert;
    this.delete = delete;
  }

  public String target() {
    return target;
  }

  /** The columns the INSERT binds, in order. */
  public List<String> columns() {
    return bindings.stream().map(b -> b.column().asInternal()).collect(Collectors.toList());
  }

  public String insertCql() {
    return insert.getQuery();
  }

  /** Validates the mapping against the live table and prepares its statements. */
  public static MappingPlan build(CqlSession session, String keyspace, String table, MappingSpec spec,
                                  Schema reader, Options options) {
    CqlIdentifier ks = CqlIdentifier.fromCql(keyspace);
    CqlIdentifier tb = CqlIdentifier.fromCql(table);
    String target = ks.asCql(true) + "." + tb.asCql(true);
    List<String> problems = new ArrayList<>();

    Optional<KeyspaceMetadata> keyspaceMetadata = session.getMetadata().getKeyspace(ks);
    if (keyspaceMetadata.isEmpty()) {
      throw new MappingValidationException(target, List.of("keyspace " + ks.asCql(true) + " does not exist (keyspaces: "
          + session.getMetadata().getKeyspaces().keySet().stream().map(k -> k.asCql(true)).sorted()
          .collect(Collectors.joining(", ")) + ")"));
    }
    Optional<TableMetadata> tableMetadata = keyspaceMetadata.get().getTable(tb);
    if (tableMetadata.isEmpty()) {
      throw new MappingValidationException(target, List.of("table " + target + " does not exist (tables of "
          + ks.asCql(true) + ": " + keyspaceMetadata.get().getTables().keySet().stream().map(k -> k.asCql(true)).sorted()
          .collect(Collectors.joining(", ")) + ")"));
    }
    TableMetadata meta = tableMetadata.get();
    for (ColumnMetadata column : meta.getColumns().values()) {
      if (column.getType().getProtocolCode() == ProtocolConstants.DataType.COUNTER) {
        problems.add("column " + column.getName().asCql(true) + " is a counter: counter updates are not idempotent,"
            + " so AstraDbIO refuses counter tables");
      }
    }
    if (!problems.isEmpty()) {
      throw new MappingValidationException(target, problems);
    }

    AvroToCql converters = new AvroToCql(session.getContext().getCodecRegistry());
    Set<CqlIdentifier> pk = new LinkedHashSet<>();
    meta.getPrimaryKey().forEach(c -> pk.add(c.getName()));
    Map<CqlIdentifier, Binding> mapped = new LinkedHashMap<>();
    Special ttl = null;
    Special timestamp = null;

    for (MappingSpec.Entry entry : spec.entries()) {
      String where = "mapping entry '" + entry + "'";
      if (entry.column().equals(MappingSpec.TTL)) {
        ttl = special(entry, reader, problems, false);
        continue;
      }
      if (entry.column().equals(MappingSpec.TIMESTAMP)) {
        timestamp = special(entry, reader, problems, true);
        continue;
      }
      CqlIdentifier column = CqlIdentifier.fromCql(entry.column());
      Optional<ColumnMetadata> columnMetadata = meta.getColumn(column);
      if (columnMetadata.isEmpty()) {
        problems.add(where + ": column " + column.asCql(true) + " does not exist in " + target + " (columns: "
            + meta.getColumns().keySet().stream().map(c -> c.asCql(true)).collect(Collectors.joining(", ")) + ")");
        continue;
      }
      if (mapped.containsKey(column)) {
        problems.add(where + ": column " + column.asCql(true) + " is already mapped by '" + mapped.get(column).entry() + "'");
        continue;
      }
      Binding binding = bind(converters, entry.toString(), column, columnMetadata.get().getType(), entry.expression(),
          reader, pk.contains(column), problems);
      if (binding != null) {
        mapped.put(column, binding);
      }
    }

    if (spec.isAuto()) {
      for (ColumnMetadata column : meta.getColumns().values()) {
        if (mapped.containsKey(column.getName()) || column.getType().getProtocolCode() == ProtocolConstants.DataType.COUNTER) {
          continue;
        }
        Schema.Field field = Names.field(reader, column.getName().asInternal());
        if (field != null) {
          Binding binding = bind(converters, column.getName().asInternal() + " = " + field.name() + " (by name)",
              column.getName(), column.getType(), Expression.parse(field.name()), reader, pk.contains(column.getName()), problems);
          if (binding != null) {
            mapped.put(column.getName(), binding);
          }
        }
      }
    }

    for (CqlIdentifier key : pk) {
      if (!mapped.containsKey(key)) {
        problems.add("primary key column " + key.asCql(true) + " (" + meta.getColumn(key).get().getType().asCql(true, true)
            + ") is not mapped: add an entry '" + key.asInternal() + " = <field path or @metadata>'");
      }
    }

    Source deleteFlag = null;
    if (options.deleteField() != null) {
      try {
        Resolved resolved = resolvePath(reader, List.of(options.deleteField().split("\\.")));
        if (AvroToCql.nonNull(resolved.schema).getType() != Schema.Type.BOOLEAN) {
          problems.add("delete field '" + options.deleteField() + "' is Avro " + AvroToCql.describe(resolved.schema)
              + "; it must be a boolean");
        } else {
          deleteFlag = resolved.source;
        }
      } catch (IncompatibleException e) {
        problems.add("delete field '" + options.deleteField() + "': " + e.getMessage());
      }
    }

    if (!problems.isEmpty()) {
      throw new MappingValidationException(target, problems);
    }

    List<Binding> bindings = new ArrayList<>(mapped.values());
    String columns = bindings.stream().map(b -> b.column().asCql(true)).collect(Collectors.joining(", "));
    String markers = bindings.stream().map(b -> "?").collect(Collectors.joining(", "));
    PreparedStatement insert = session.prepare("INSERT INTO " + target + " (" + columns + ") VALUES (" + markers
        + ") USING TTL ? AND TIMESTAMP ?");
    List<Binding> keyBindings = bindings.stream().filter(Binding::primaryKey).collect(Collectors.toList());
    String where = keyBindings.stream().map(b -> b.column().asCql(true) + " = ?").collect(Collectors.joining(" AND "));
    PreparedStatement delete = session.prepare("DELETE FROM " + target + " USING TIMESTAMP ? WHERE " + where);
    return new MappingPlan(target, session, options, bindings, ttl, timestamp, deleteFlag, insert, delete);
  }

  private static Binding bind(AvroToCql converters, String entry, CqlIdentifier column, DataType type,
                              Expression expression, Schema reader, boolean primaryKey, List<String> problems) {
    String where = "mapping entry '" + entry + "'";
    TypeCodec<Object> codec = converters.codecFor(type);
    try {
      if (expression instanceof Now) {
        return new Binding(column, type, entry, (r, m) -> Boolean.TRUE, now(type, where), codec, false, primaryKey);
      }
      if (expression instanceof Literal) {
        Object constant = literal(converters, ((Literal) expression).value(), type);
        return new Binding(column, type, entry, (r, m) -> constant, v -> v, codec, false, primaryKey);
      }
      Resolved resolved = expression instanceof FieldPath
          ? resolvePath(reader, ((FieldPath) expression).path())
          : metadata((MetadataRef) expression);
      Converter converter = converters.converter(resolved.schema, type);
      return new Binding(column, type, entry, resolved.source, converter, codec, expression instanceof FieldPath, primaryKey);
    } catch (IncompatibleException e) {
      problems.add(where + ": column " + column.asCql(true) + " is " + type.asCql(true, true) + "; " + e.getMessage());
      return null;
    }
  }

  private static Converter now(DataType type, String where) throws IncompatibleException {
    switch (type.getProtocolCode()) {
      case ProtocolConstants.DataType.TIMESTAMP:
        return v -> Instant.now();
      case ProtocolConstants.DataType.TIMEUUID:
        return v -> Uuids.timeBased();
      case ProtocolConstants.DataType.DATE:
        return v -> LocalDate.now(ZoneOffset.UTC);
      case ProtocolConstants.DataType.BIGINT:
        return v -> System.currentTimeMillis();
      default:
        throw new IncompatibleException("now() can be written to timestamp, timeuuid, date or bigint columns only");
    }
  }

  private static Object literal(AvroToCql converters, Object value, DataType type) throws IncompatibleException {
    if (value == null) {
      return null;
    }
    Schema schema;
    Object avro = value;
    if (value instanceof String) {
      schema = Schema.create(Schema.Type.STRING);
    } else if (value instanceof Boolean) {
      schema = Schema.create(Schema.Type.BOOLEAN);
    } else if (value instanceof Long) {
      int code = type.getProtocolCode();
      boolean narrow = code == ProtocolConstants.DataType.INT || code == ProtocolConstants.DataType.SMALLINT
          || code == ProtocolConstants.DataType.TINYINT || code == ProtocolConstants.DataType.FLOAT;
      long l = (Long) value;
      if (narrow && (l < Integer.MIN_VALUE || l > Integer.MAX_VALUE)) {
        throw new IncompatibleException("the literal " + l + " is out of range for " + type.asCql(true, true));
      }
      schema = Schema.create(narrow ? Schema.Type.INT : Schema.Type.LONG);
      avro = narrow ? (Object) (int) l : value;
    } else {
      schema = Schema.create(type.equals(DataTypes.FLOAT) ? Schema.Type.FLOAT : Schema.Type.DOUBLE);
      avro = type.equals(DataTypes.FLOAT) ? (Object) ((Double) value).floatValue() : value;
    }
    try {
      return converters.converter(schema, type).convert(avro);
    } catch (ValueException e) {
      throw new IncompatibleException("the literal " + value + ": " + e.getMessage());
    }
  }

  private static Special special(MappingSpec.Entry entry, Schema reader, List<String> problems, boolean timestamp) {
    String where = "mapping entry '" + entry + "'";
    Expression expression = entry.expression();
    if (expression instanceof Literal && ((Literal) expression).value() instanceof Long) {
      long constant = (Long) ((Literal) expression).value();
      return new Special(entry.toString(), (r, m) -> constant, v -> v);
    }
    if (expression instanceof Now || expression instanceof Literal) {
      problems.add(where + ": " + entry.column() + " takes a field, @publish_time/@event_time or a whole number");
      return null;
    }
    try {
      Resolved resolved = expression instanceof FieldPath
          ? resolvePath(reader, ((FieldPath) expression).path())
          : metadata((MetadataRef) expression);
      Schema s = AvroToCql.nonNull(resolved.schema);
      if (s.getType() == Schema.Type.INT && s.getLogicalType() == null) {
        return new Special(entry.toString(), resolved.source, v -> v == null ? null : ((Integer) v).longValue());
      }
      if (s.getType() == Schema.Type.LONG) {
        if (!timestamp) {
          if (s.getLogicalType() == null) {
            return new Special(entry.toString(), resolved.source, v -> v);
          }
        } else if (s.getLogicalType() == null || s.getLogicalType() instanceof LogicalTypes.TimestampMicros) {
          return new Special(entry.toString(), resolved.source, v -> v);
        } else if (s.getLogicalType() instanceof LogicalTypes.TimestampMillis) {
          return new Special(entry.toString(), resolved.source, v -> v == null ? null : (Long) v * 1000L);
        }
      }
      problems.add(where + ": " + entry.column() + " cannot come from Avro " + AvroToCql.describe(resolved.schema)
          + (timestamp ? " (valid: long microseconds, timestamp-millis, timestamp-micros)" : " (valid: int or long seconds)"));
      return null;
    } catch (IncompatibleException e) {
      problems.add(where + ": " + e.getMessage());
      return null;
    }
  }

  private record Resolved(Schema schema, Source source) {}

  private static Resolved resolvePath(Schema reader, List<String> path) throws IncompatibleException {
    Schema current = reader;
    int[] positions = new int[path.size()];
    for (int i = 0; i < path.size(); i++) {
      Schema record = AvroToCql.nonNull(current);
      if (record.getType() != Schema.Type.RECORD) {
        throw new IncompatibleException("'" + String.join(".", path.subList(0, i)) + "' is Avro "
            + AvroToCql.describe(current) + ", not a record, so it has no field '" + path.get(i) + "'");
      }
      Schema.Field field = Names.field(record, path.get(i));
      if (field == null) {
        throw new IncompatibleException("field '" + String.join(".", path.subList(0, i + 1)) + "' does not exist (fields of "
            + record.getName() + ": " + record.getFields().stream().map(Schema.Field::name).collect(Collectors.joining(", "))
            + ")");
      }
      positions[i] = field.pos();
      current = field.schema();
    }
    return new Resolved(current, (r, m) -> {
      Object value = r;
      for (int p : positions) {
        if (value == null) {
          return null;
        }
        value = ((GenericRecord) value).get(p);
      }
      return value;
    });
  }

  private static final Schema OPTIONAL_STRING = Schema.createUnion(Schema.create(Schema.Type.NULL), Schema.create(Schema.Type.STRING));
  private static final Schema OPTIONAL_MILLIS = Schema.createUnion(Schema.create(Schema.Type.NULL),
      LogicalTypes.timestampMillis().addToSchema(Schema.create(Schema.Type.LONG)));

  private static Resolved metadata(MetadataRef ref) {
    switch (ref.metadata()) {
      case MESSAGE_ID:
        return new Resolved(OPTIONAL_STRING, (r, m) -> m.getMessageId());
      case KEY:
        return new Resolved(OPTIONAL_STRING, (r, m) -> m.getKey());
      case ORDERING_KEY:
        return new Resolved(OPTIONAL_STRING, (r, m) -> m.getOrderingKey());
      case SOURCE:
        return new Resolved(OPTIONAL_STRING, (r, m) -> m.getSource());
      case ATTRIBUTE: {
        String name = ref.attribute();
        return new Resolved(OPTIONAL_STRING, (r, m) -> m.getAttributes() == null ? null : m.getAttributes().get(name));
      }
      case PUBLISH_TIME:
        return new Resolved(OPTIONAL_MILLIS, (r, m) -> m.getPublishTime() == null ? null : m.getPublishTime().toEpochMilli());
      case EVENT_TIME:
        return new Resolved(OPTIONAL_MILLIS, (r, m) -> m.getEventTime() == null ? null : m.getEventTime().toEpochMilli());
      default:
        throw new AssertionError(ref.metadata());
    }
  }

  /** Whether the record asks for a delete of its row (the delete field is true). */
  public boolean isDelete(GenericRecord record, BridgeMessage message) {
    return deleteFlag != null && Boolean.TRUE.equals(deleteFlag.get(record, message));
  }

  /** A bound statement and its serialized size (computed once). */
  public record Mapped(BoundStatement statement, int bytes) {}

  /**
   * The statement writing this record: an INSERT, or a DELETE when the delete field is true or {@code record} is
   * null (a tombstone: its primary key must come from metadata or literals).
   */
  public Mapped statementFor(GenericRecord record, BridgeMessage message) throws RecordMappingException {
    long writeTime = writeTime(record, message);
    boolean isDelete = record == null || isDelete(record, message);
    BoundStatementBuilder builder;
    if (isDelete) {
      builder = delete.boundStatementBuilder().setLong(0, writeTime);
      int index = 1;
      for (Binding binding : primaryKey) {
        if (record == null && binding.fromRecord()) {
          throw new RecordMappingException(binding.entry(), "a tombstone (empty payload) has no record, but primary key column "
              + binding.column().asCql(true) + " comes from a record field: map it from @key or another @metadata");
        }
        Object value = value(binding, record, message);
        if (value == null) {
          throw new RecordMappingException(binding.entry(), "primary key column " + binding.column().asCql(true) + " is null");
        }
        builder = builder.set(index++, value, binding.codec());
      }
    } else {
      builder = insert.boundStatementBuilder();
      int index = 0;
      for (Binding binding : bindings) {
        Object value = value(binding, record, message);
        if (value != null) {
          builder = builder.set(index, value, binding.codec());
        } else if (binding.primaryKey()) {
          throw new RecordMappingException(binding.entry(), "primary key column " + binding.column().asCql(true) + " is null");
        } else if (options.writeNulls()) {
          builder = builder.setToNull(index);
        }
        index++;
      }
      Long ttlSeconds = ttl == null ? null : special(ttl, record, message);
      if (ttlSeconds != null) {
        if (ttlSeconds < 0 || ttlSeconds > MAX_TTL_SECONDS) {
          throw new RecordMappingException(ttl.entry(), "TTL " + ttlSeconds + " s is outside 0.." + MAX_TTL_SECONDS);
        }
        builder = builder.setInt(index, ttlSeconds.intValue());
      }
      builder = builder.setLong(index + 1, writeTime);
    }
    BoundStatement statement = builder.setIdempotence(true).setConsistencyLevel(options.consistency()).build();
    int size = statement.computeSizeInBytes(session.getContext());
    if (size > options.maxRowBytes()) {
      throw new RecordMappingException(null, "the row is " + size + " bytes, over the limit of " + options.maxRowBytes()
          + " bytes (maxRowBytes)");
    }
    return new Mapped(statement, size);
  }

  private Object value(Binding binding, GenericRecord record, BridgeMessage message) throws RecordMappingException {
    Object raw = binding.fromRecord() && record == null ? null : binding.source().get(record, message);
    try {
      return binding.converter().convert(raw);
    } catch (ValueException e) {
      throw new RecordMappingException(binding.entry(), "column " + binding.column().asCql(true) + " ("
          + binding.type().asCql(true, true) + "): " + e.getMessage());
    } catch (RuntimeException e) {
      throw new RecordMappingException(binding.entry(), "column " + binding.column().asCql(true) + " ("
          + binding.type().asCql(true, true) + "): " + e);
    }
  }

  private static Long special(Special special, GenericRecord record, BridgeMessage message) throws RecordMappingException {
    try {
      return (Long) special.toLong().convert(special.source().get(record, message));
    } catch (ValueException | RuntimeException e) {
      throw new RecordMappingException(special.entry(), e.getMessage());
    }
  }

  /** Write-time in microseconds: __timestamp, else the event time, else the publish time, else now. */
  private long writeTime(GenericRecord record, BridgeMessage message) throws RecordMappingException {
    Long micros = timestamp == null ? null : special(timestamp, record, message);
    if (micros != null) {
      return micros;
    }
    Instant time = message.getEventTime() != null ? message.getEventTime()
        : message.getPublishTime() != null ? message.getPublishTime() : Instant.now();
    return time.getEpochSecond() * 1_000_000L + time.getNano() / 1_000L;
  }
}
