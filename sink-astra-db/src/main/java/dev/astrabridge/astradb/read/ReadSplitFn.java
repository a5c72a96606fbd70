package dev.astrabridge.astradb.read;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.ColumnDefinition;
import com.datastax.oss.driver.api.core.cql.ColumnDefinitions;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.metadata.schema.ColumnMetadata;
import com.datastax.oss.driver.api.core.metadata.schema.TableMetadata;
import dev.astrabridge.astradb.connect.SessionCache;
import dev.astrabridge.astradb.connect.SharedPerJvm;
import dev.astrabridge.astradb.mapping.Names;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;

/**
 * Reads one {@link TokenSplit}: {@code SELECT <the schema's columns> FROM table WHERE token(pk) > ? AND token(pk) <= ?},
 * paged by the driver, each row converted to a record of the output schema by {@link CqlToAvro}. A failure after the
 * driver's own retries fails the bundle, and the runner retries the split (its partial output is discarded).
 */
public final class ReadSplitFn extends DoFn<TokenSplit, GenericRecord> {
  private static final long serialVersionUID = 1L;

  private final ReadSpec spec;
  private final String schemaJson;
  private final Counter rows = Metrics.counter("astradb.read", "rows");
  private final Counter splitsDone = Metrics.counter("astradb.read", "splits_done");

  private transient SharedPerJvm<CqlSession>.Lease lease;
  private transient CqlSession session;
  private transient PreparedStatement statement;
  private transient Schema schema;
  private transient int[] columnOf;
  private transient CqlToAvro.Converter[] converters;

  public ReadSplitFn(ReadSpec spec, Schema schema) {
    this.spec = spec;
    this.schemaJson = schema.toString();
  }

  @Setup
  public void setup() {
    schema = new Schema.Parser().parse(schemaJson);
    lease = SessionCache.acquire(spec.connection(), spec.sessionFactory());
    try {
      session = lease.get();
      statement = session.prepare(spec.query() != null ? spec.query() : tableQuery());
      bindColumns(statement.getResultSetDefinitions());
    } catch (RuntimeException e) {
      lease.close();
      throw e;
    }
  }

  /** SELECT of the columns the schema's fields name, by token range of the partition key. */
  private String tableQuery() {
    TableMetadata table = ReadQueries.table(session, spec.keyspace(), spec.table());
    StringJoiner columns = new StringJoiner(", ");
    for (Schema.Field field : schema.getFields()) {
      ColumnMetadata column = ReadQueries.column(table, field.name());
      if (column != null) {
        columns.add(column.getName().asCql(true));
      }
    }
    StringJoiner key = new StringJoiner(", ");
    for (ColumnMetadata c : table.getPartitionKey()) {
      key.add(c.getName().asCql(true));
    }
    return "SELECT " + columns + " FROM " + table.getKeyspace().asCql(true) + "." + table.getName().asCql(true)
        + " WHERE token(" + key + ") > ? AND token(" + key + ") <= ?";
  }

  private void bindColumns(ColumnDefinitions definitions) {
    List<Schema.Field> fields = schema.getFields();
    columnOf = new int[fields.size()];
    converters = new CqlToAvro.Converter[fields.size()];
    List<String> problems = new ArrayList<>();
    for (int f = 0; f < fields.size(); f++) {
      Schema.Field field = fields.get(f);
      columnOf[f] = -1;
      for (int i = 0; i < definitions.size(); i++) {
        ColumnDefinition definition = definitions.get(i);
        if (Names.same(definition.getName().asInternal(), field.name())) {
          columnOf[f] = i;
          try {
            converters[f] = CqlToAvro.converter(definition.getType(), field.schema());
          } catch (IllegalArgumentException e) {
            problems.add("field " + field.name() + ": " + e.getMessage());
          }
          break;
        }
      }
      if (columnOf[f] < 0 && !field.hasDefaultValue() && !isNullable(field.schema())) {
        problems.add("field " + field.name() + " is required (no default, not nullable) but the read returns no column"
            + " of that name");
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("AstraDbIO.read(): the output schema " + schema.getFullName() + " does not fit "
          + (spec.query() != null ? "the query" : spec.keyspace() + "." + spec.table()) + ": " + String.join("; ", problems));
    }
  }

  private static boolean isNullable(Schema schema) {
    return schema.getType() == Schema.Type.NULL || schema.getType() == Schema.Type.UNION
        && schema.getTypes().stream().anyMatch(s -> s.getType() == Schema.Type.NULL);
  }

  @ProcessElement
  public void processElement(@Element TokenSplit split, OutputReceiver<GenericRecord> out) {
    BoundStatement bound = statement.bind().setLong(0, split.start).setLong(1, split.end)
        .setPageSize(spec.pageSize()).setConsistencyLevel(spec.consistency());
    List<Schema.Field> fields = schema.getFields();
    long n = 0;
    // asynchronous paging: the next page is requested before this one is converted, so I/O and conversion overlap
    AsyncResultSet page = await(session.executeAsync(bound), split);
    while (true) {
      CompletionStage<AsyncResultSet> next = page.hasMorePages() ? page.fetchNextPage() : null;
      for (Row row : page.currentPage()) {
        GenericData.Record record = new GenericData.Record(schema);
        for (int f = 0; f < columnOf.length; f++) {
          Object value = columnOf[f] < 0 ? null : row.getObject(columnOf[f]);
          record.put(f, value == null ? CqlToAvro.defaultOf(fields.get(f)) : converters[f].convert(value));
        }
        out.output(record);
        n++;
      }
      if (next == null) {
        break;
      }
      page = await(next, split);
    }
    rows.inc(n);
    splitsDone.inc();
  }

  private static AsyncResultSet await(CompletionStage<AsyncResultSet> stage, TokenSplit split) {
    try {
      return stage.toCompletableFuture().get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading token range " + split, e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      throw cause instanceof RuntimeException ? (RuntimeException) cause
          : new IllegalStateException("reading token range " + split + " failed", cause);
    }
  }

  @Teardown
  public void teardown() {
    if (lease != null) {
      lease.close();
      lease = null;
    }
  }
}
