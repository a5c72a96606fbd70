package dev.astrabridge.astradb;

import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import com.google.auto.value.AutoValue;
import dev.astrabridge.astradb.connect.AstraDbConnection;
import dev.astrabridge.astradb.connect.DefaultSessionFactory;
import dev.astrabridge.astradb.connect.SessionCache;
import dev.astrabridge.astradb.connect.SessionFactory;
import dev.astrabridge.astradb.decode.PayloadFormat;
import dev.astrabridge.astradb.mapping.MappingPlan;
import dev.astrabridge.astradb.mapping.MappingSpec;
import dev.astrabridge.astradb.read.CqlToAvro;
import dev.astrabridge.astradb.read.ReadQueries;
import dev.astrabridge.astradb.read.ReadSpec;
import dev.astrabridge.astradb.read.ReadSplitFn;
import dev.astrabridge.astradb.read.SplitRingFn;
import dev.astrabridge.astradb.read.TokenSplit;
import dev.astrabridge.astradb.write.FailurePolicy;
import dev.astrabridge.astradb.write.WriteFn;
import dev.astrabridge.astradb.write.WriteSpec;
import dev.astrabridge.schemas.envelope.BridgeMessage;
import dev.astrabridge.schemas.envelope.DeadLetter;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.VoidCoder;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.extensions.avro.coders.AvroGenericCoder;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PInput;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Beam IO for Astra DB and any Cassandra, on the 4.x driver (Secure Connect Bundle + token, or contact points).
 * Broker-agnostic: it reads {@link BridgeMessage} envelopes, whatever produced them.
 *
 * <pre>{@code
 * AstraDbIO.WriteResult result = messages.apply("Write orders", AstraDbIO.write()
 *     .withConnection(AstraDbConnection.astra(SecretRef.of("path:/secrets/scb.zip"), SecretRef.of("env:ASTRA_TOKEN")))
 *     .withTable("shop", "orders")
 *     .withPayloadFormat(PayloadFormat.avroSingleObject(OrderEvent.getClassSchema()))
 *     .withMapping(MappingSpec.parse("order_id = order_id, customer_id = customer.customer_id, *")));
 * result.getDeadLetters().apply(...);
 * }</pre>
 */
public final class AstraDbIO {

  /** A bounded read of a table (or a token-range query), split by token ranges; see {@link Read}. */
  public static Read read() {
    return new AutoValue_AstraDbIO_Read.Builder()
        .setMinSplits(0)
        .setPageSize(5000)
        .setConsistency(DefaultConsistencyLevel.LOCAL_QUORUM)
        .setSessionFactory(new DefaultSessionFactory())
        .build();
  }

  /** A transform writing messages into one table; see {@link Write}. */
  public static Write write() {
    return new AutoValue_AstraDbIO_Write.Builder()
        .setMapping(MappingSpec.auto())
        .setConsistency(DefaultConsistencyLevel.LOCAL_QUORUM)
        .setFailurePolicy(FailurePolicy.DEAD_LETTER)
        .setWriteNulls(false)
        .setTombstonesDelete(false)
        .setMaxBatchRows(32)
        .setMaxBatchBytes(16 * 1024)
        .setMaxBufferedRows(1000)
        .setMaxConcurrentRequests(64)
        .setMaxRowBytes(1024 * 1024)
        .setRetryTimeout(Duration.ofMinutes(2))
        .setSessionFactory(new DefaultSessionFactory())
        .build();
  }

  /**
   * Decodes each message's Avro payload, maps it to a row ({@link MappingSpec}, validated against the live table
   * when the workers start) and writes it idempotently. Returns a {@link WriteResult} whose dead-letter output holds
   * every message that could not be decoded, mapped or written, with its original bytes and the reason.
   */
  @AutoValue
  public abstract static class Write extends PTransform<PCollection<BridgeMessage>, WriteResult> implements WriteSpec {
    private static final long serialVersionUID = 1L;

    @Override
    public abstract @Nullable AstraDbConnection connection();

    @Override
    public abstract @Nullable String keyspace();

    @Override
    public abstract @Nullable String table();

    @Override
    public abstract MappingSpec mapping();

    @Override
    public abstract @Nullable PayloadFormat payloadFormat();

    public abstract DefaultConsistencyLevel consistency();

    @Override
    public abstract FailurePolicy failurePolicy();

    public abstract boolean writeNulls();

    public abstract @Nullable String deleteField();

    @Override
    public abstract boolean tombstonesDelete();

    @Override
    public abstract int maxBatchRows();

    @Override
    public abstract int maxBatchBytes();

    @Override
    public abstract int maxBufferedRows();

    @Override
    public abstract int maxConcurrentRequests();

    public abstract int maxRowBytes();

    @Override
    public abstract Duration retryTimeout();

    @Override
    public abstract SessionFactory sessionFactory();

    abstract Builder toBuilder();

    @AutoValue.Builder
    abstract static class Builder {
      abstract Builder setConnection(AstraDbConnection value);

      abstract Builder setKeyspace(String value);

      abstract Builder setTable(String value);

      abstract Builder setMapping(MappingSpec value);

      abstract Builder setPayloadFormat(PayloadFormat value);

      abstract Builder setConsistency(DefaultConsistencyLevel value);

      abstract Builder setFailurePolicy(FailurePolicy value);

      abstract Builder setWriteNulls(boolean value);

      abstract Builder setDeleteField(String value);

      abstract Builder setTombstonesDelete(boolean value);

      abstract Builder setMaxBatchRows(int value);

      abstract Builder setMaxBatchBytes(int value);

      abstract Builder setMaxBufferedRows(int value);

      abstract Builder setMaxConcurrentRequests(int value);

      abstract Builder setMaxRowBytes(int value);

      abstract Builder setRetryTimeout(Duration value);

      abstract Builder setSessionFactory(SessionFactory value);

      abstract Write build();
    }

    public Write withConnection(AstraDbConnection connection) {
      return toBuilder().setConnection(Objects.requireNonNull(connection, "connection")).build();
    }

    /** The target table (CQL names: unquoted are case-insensitive). */
    public Write withTable(String keyspace, String table) {
      return toBuilder().setKeyspace(requireText(keyspace, "withTable: keyspace")).setTable(requireText(table, "withTable: table")).build();
    }

    public Write withMapping(MappingSpec mapping) {
      return toBuilder().setMapping(Objects.requireNonNull(mapping, "mapping")).build();
    }

    public Write withPayloadFormat(PayloadFormat format) {
      return toBuilder().setPayloadFormat(Objects.requireNonNull(format, "payloadFormat")).build();
    }

    /** Write consistency; LOCAL_QUORUM by default (Astra DB refuses ONE and ANY for writes). */
    public Write withConsistency(DefaultConsistencyLevel consistency) {
      if (consistency.isSerial()) {
        throw new IllegalArgumentException("withConsistency: " + consistency + " is a serial level (for lightweight"
            + " transactions); valid: ANY, ONE, TWO, THREE, QUORUM, ALL, LOCAL_ONE, LOCAL_QUORUM, EACH_QUORUM");
      }
      return toBuilder().setConsistency(consistency).build();
    }

    /** What to do with rows that still fail after retries (default {@link FailurePolicy#DEAD_LETTER}). */
    public Write withFailurePolicy(FailurePolicy policy) {
      return toBuilder().setFailurePolicy(Objects.requireNonNull(policy)).build();
    }

    /** Write nulls as nulls (tombstones) instead of leaving the columns unset (the default). */
    public Write withWriteNulls(boolean writeNulls) {
      return toBuilder().setWriteNulls(writeNulls).build();
    }

    /** A boolean field path: a record where it is true deletes its row instead of writing it. */
    public Write withDeleteField(String fieldPath) {
      return toBuilder().setDeleteField(requireText(fieldPath, "withDeleteField")).build();
    }

    /** {@link #withDeleteField} when a field path is given; unchanged for null (convenient with optional options). */
    public Write withDeleteFieldIfSet(@Nullable String fieldPath) {
      return fieldPath == null ? this : withDeleteField(fieldPath);
    }

    /** An empty payload deletes the row whose primary key the mapping takes from message metadata (e.g. @key). */
    public Write withTombstonesAsDeletes(boolean tombstonesDelete) {
      return toBuilder().setTombstonesDelete(tombstonesDelete).build();
    }

    /** Rows of one partition per UNLOGGED batch (1 disables batching) and the batch's byte budget. */
    public Write withBatching(int maxRows, int maxBytes) {
      checkPositive(maxRows, "withBatching: maxRows");
      checkPositive(maxBytes, "withBatching: maxBytes");
      return toBuilder().setMaxBatchRows(maxRows).setMaxBatchBytes(maxBytes).build();
    }

    /** Rows buffered per bundle while waiting for partners of their partition, before all are sent. */
    public Write withMaxBufferedRows(int maxBufferedRows) {
      checkPositive(maxBufferedRows, "withMaxBufferedRows");
      return toBuilder().setMaxBufferedRows(maxBufferedRows).build();
    }

    /** In-flight requests per worker thread: the ceiling of the adaptive (AIMD) limit. */
    public Write withMaxConcurrentRequests(int maxConcurrentRequests) {
      checkPositive(maxConcurrentRequests, "withMaxConcurrentRequests");
      return toBuilder().setMaxConcurrentRequests(maxConcurrentRequests).build();
    }

    /** A row larger than this (serialized values) is dead-lettered instead of sent. */
    public Write withMaxRowBytes(int maxRowBytes) {
      checkPositive(maxRowBytes, "withMaxRowBytes");
      return toBuilder().setMaxRowBytes(maxRowBytes).build();
    }

    /** How long a failing write is retried (exponential backoff) before the failure policy applies. */
    public Write withRetryTimeout(Duration retryTimeout) {
      if (retryTimeout == null || retryTimeout.isNegative()) {
        throw new IllegalArgumentException("withRetryTimeout: must be zero or positive, got " + retryTimeout);
      }
      return toBuilder().setRetryTimeout(retryTimeout).build();
    }

    /** Replaces how sessions are opened (tests reach failure paths through it). */
    public Write withSessionFactory(SessionFactory sessionFactory) {
      return toBuilder().setSessionFactory(Objects.requireNonNull(sessionFactory)).build();
    }

    @Override
    public MappingPlan.Options planOptions() {
      return new MappingPlan.Options(writeNulls(), deleteField(), maxRowBytes(), consistency());
    }

    @Override
    public WriteResult expand(PCollection<BridgeMessage> input) {
      if (connection() == null) {
        throw new IllegalArgumentException("AstraDbIO.write(): withConnection() is required");
      }
      if (table() == null) {
        throw new IllegalArgumentException("AstraDbIO.write(): withTable(keyspace, table) is required");
      }
      if (payloadFormat() == null) {
        throw new IllegalArgumentException("AstraDbIO.write(): withPayloadFormat() is required");
      }
      TupleTag<Void> main = new TupleTag<Void>() {};
      TupleTag<DeadLetter> deadLetters = new TupleTag<DeadLetter>() {};
      PCollectionTuple out = input.apply("Decode, map and write", ParDo.of(new WriteFn(this, deadLetters))
          .withOutputTags(main, TupleTagList.of(deadLetters)));
      out.get(main).setCoder(VoidCoder.of());
      PCollection<DeadLetter> dead = out.get(deadLetters).setCoder(AvroCoder.of(DeadLetter.class));
      return new WriteResult(input.getPipeline(), deadLetters, dead);
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      if (connection() != null) {
        connection().populateDisplayData(builder);
      }
      builder.addIfNotNull(DisplayData.item("table", keyspace() == null ? null : keyspace() + "." + table()).withLabel("Table"))
          .add(DisplayData.item("mapping", mapping().toString()).withLabel("Mapping"))
          .addIfNotNull(DisplayData.item("payloadFormat", payloadFormat() == null ? null : payloadFormat().describe()).withLabel("Payload format"))
          .add(DisplayData.item("consistency", consistency().name()).withLabel("Consistency"))
          .add(DisplayData.item("failurePolicy", failurePolicy().name()).withLabel("Failure policy"))
          .add(DisplayData.item("writeNulls", writeNulls()).withLabel("Write nulls"))
          .addIfNotNull(DisplayData.item("deleteField", deleteField()).withLabel("Delete field"))
          .add(DisplayData.item("tombstonesDelete", tombstonesDelete()).withLabel("Tombstones delete"))
          .add(DisplayData.item("maxBatchRows", maxBatchRows()).withLabel("Max rows per batch"))
          .add(DisplayData.item("maxBatchBytes", maxBatchBytes()).withLabel("Max bytes per batch"))
          .add(DisplayData.item("maxConcurrentRequests", maxConcurrentRequests()).withLabel("Max concurrent requests"))
          .add(DisplayData.item("retryTimeout", retryTimeout().toString()).withLabel("Retry timeout"));
    }

    static String requireText(String value, String what) {
      if (value == null || value.isBlank()) {
        throw new IllegalArgumentException(what + " must not be empty");
      }
      return value;
    }

    static void checkPositive(int value, String what) {
      if (value <= 0) {
        throw new IllegalArgumentException(what + " must be positive, got " + value);
      }
    }
  }

  /**
   * Reads a table into Avro {@link GenericRecord}s, in parallel by token range: one worker turns the driver's token
   * map into at least {@link #withMinSplits} splits (the wrap-around range cut at the end of the ring), the splits are
   * redistributed, and each is read with a paged {@code token(pk) > ? AND token(pk) <= ?} query. Every row is read
   * exactly once. Records have {@link #withSchema the given schema} (fields matched to columns by name, as the write
   * mapping's {@code *} matches them, so what a schema wrote reads back as that schema) or one derived from the table
   * ({@link CqlToAvro#schemaFor}; derived when the pipeline is built, which then needs to reach the database).
   */
  @AutoValue
  public abstract static class Read extends PTransform<PBegin, PCollection<GenericRecord>> implements ReadSpec {
    private static final long serialVersionUID = 1L;

    @Override
    public abstract @Nullable AstraDbConnection connection();

    @Override
    public abstract @Nullable String keyspace();

    @Override
    public abstract @Nullable String table();

    @Override
    public abstract @Nullable String query();

    abstract @Nullable String schemaJson();

    @Override
    public abstract int minSplits();

    @Override
    public abstract int pageSize();

    @Override
    public abstract DefaultConsistencyLevel consistency();

    @Override
    public abstract SessionFactory sessionFactory();

    abstract Builder toBuilder();

    @AutoValue.Builder
    abstract static class Builder {
      abstract Builder setConnection(AstraDbConnection value);

      abstract Builder setKeyspace(String value);

      abstract Builder setTable(String value);

      abstract Builder setQuery(String value);

      abstract Builder setSchemaJson(String value);

      abstract Builder setMinSplits(int value);

      abstract Builder setPageSize(int value);

      abstract Builder setConsistency(DefaultConsistencyLevel value);

      abstract Builder setSessionFactory(SessionFactory value);

      abstract Read build();
    }

    public Read withConnection(AstraDbConnection connection) {
      return toBuilder().setConnection(Objects.requireNonNull(connection, "connection")).build();
    }

    /** The table to read (also where a derived schema comes from). */
    public Read withTable(String keyspace, String table) {
      return toBuilder().setKeyspace(Write.requireText(keyspace, "withTable: keyspace"))
          .setTable(Write.requireText(table, "withTable: table")).build();
    }

    /**
     * A query instead of the whole table, e.g. {@code SELECT id, total FROM shop.orders WHERE token(id) > ? AND
     * token(id) <= ? AND status = 'open' ALLOW FILTERING}: its first two bind markers take each split's start
     * (exclusive) and end (inclusive) token. Needs {@link #withSchema}, or {@link #withTable} to derive one.
     */
    public Read withQuery(String query) {
      String q = Write.requireText(query, "withQuery");
      if (q.chars().filter(c -> c == '?').count() < 2 || !q.toLowerCase(java.util.Locale.ROOT).contains("token(")) {
        throw new IllegalArgumentException("withQuery: expected a query restricting token(partition key) with two bind"
            + " markers, e.g. ... WHERE token(id) > ? AND token(id) <= ?; got: " + q);
      }
      return toBuilder().setQuery(q).build();
    }

    /** The records' schema; fields matched to columns by name. Without it, one is derived from the table. */
    public Read withSchema(Schema schema) {
      return toBuilder().setSchemaJson(Objects.requireNonNull(schema, "schema").toString()).build();
    }

    /** At least this many splits (token ranges); default 16, or the ring's range count if larger. */
    public Read withMinSplits(int minSplits) {
      Write.checkPositive(minSplits, "withMinSplits");
      return toBuilder().setMinSplits(minSplits).build();
    }

    /** Rows per page (default 5000). */
    public Read withPageSize(int pageSize) {
      Write.checkPositive(pageSize, "withPageSize");
      return toBuilder().setPageSize(pageSize).build();
    }

    /** Read consistency; LOCAL_QUORUM by default (LOCAL_ONE is faster where slightly stale data is acceptable). */
    public Read withConsistency(DefaultConsistencyLevel consistency) {
      return toBuilder().setConsistency(Objects.requireNonNull(consistency)).build();
    }

    public Read withSessionFactory(SessionFactory sessionFactory) {
      return toBuilder().setSessionFactory(Objects.requireNonNull(sessionFactory)).build();
    }

    /** The records' schema: the given one, or derived from the table (opens a session here). */
    public Schema outputSchema() {
      if (schemaJson() != null) {
        return new Schema.Parser().parse(schemaJson());
      }
      if (table() == null) {
        throw new IllegalArgumentException("AstraDbIO.read(): withSchema() is required with a query and no table");
      }
      try (var lease = SessionCache.acquire(connection(), sessionFactory())) {
        return CqlToAvro.schemaFor(ReadQueries.table(lease.get(), keyspace(), table()));
      }
    }

    @Override
    public PCollection<GenericRecord> expand(PBegin input) {
      if (connection() == null) {
        throw new IllegalArgumentException("AstraDbIO.read(): withConnection() is required");
      }
      if (table() == null && query() == null) {
        throw new IllegalArgumentException("AstraDbIO.read(): withTable(keyspace, table) or withQuery(cql) is required");
      }
      Schema schema = outputSchema();
      return input
          .apply("Ring", Create.of(new byte[0]))
          .apply("Split into token ranges", ParDo.of(new SplitRingFn(this)))
          .setCoder(SerializableCoder.of(TokenSplit.class))
          .apply("Spread splits", Reshuffle.viaRandomKey())
          .apply("Read token ranges", ParDo.of(new ReadSplitFn(this, schema)))
          .setCoder(AvroGenericCoder.of(schema));
    }

    @Override
    public void populateDisplayData(DisplayData.Builder builder) {
      super.populateDisplayData(builder);
      if (connection() != null) {
        connection().populateDisplayData(builder);
      }
      builder.addIfNotNull(DisplayData.item("table", keyspace() == null ? null : keyspace() + "." + table()).withLabel("Table"))
          .addIfNotNull(DisplayData.item("query", query()).withLabel("Query"))
          .add(DisplayData.item("minSplits", minSplits()).withLabel("Minimum splits (0: default)"))
          .add(DisplayData.item("pageSize", pageSize()).withLabel("Page size"))
          .add(DisplayData.item("consistency", consistency().name()).withLabel("Consistency"));
    }
  }

  /** The outcome of {@link Write}: the dead-letter output. */
  public static final class WriteResult implements POutput {
    private final Pipeline pipeline;
    private final TupleTag<DeadLetter> deadLetterTag;
    private final PCollection<DeadLetter> deadLetters;

    WriteResult(Pipeline pipeline, TupleTag<DeadLetter> deadLetterTag, PCollection<DeadLetter> deadLetters) {
      this.pipeline = pipeline;
      this.deadLetterTag = deadLetterTag;
      this.deadLetters = deadLetters;
    }

    /** Messages that could not be decoded, mapped or written: original bytes, stage, reason. */
    public PCollection<DeadLetter> getDeadLetters() {
      return deadLetters;
    }

    @Override
    public Pipeline getPipeline() {
      return pipeline;
    }

    @Override
    public Map<TupleTag<?>, PValue> expand() {
      return Map.of(deadLetterTag, deadLetters);
    }

    @Override
    public void finishSpecifyingOutput(String transformName, PInput input, PTransform<?, ?> transform) {}
  }

  private AstraDbIO() {}
}
