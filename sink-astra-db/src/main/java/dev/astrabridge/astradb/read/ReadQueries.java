package dev.astrabridge.astradb.read;

import com.datastax.oss.driver.api.core.CqlIdentifier;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.metadata.schema.ColumnMetadata;
import com.datastax.oss.driver.api.core.metadata.schema.KeyspaceMetadata;
import com.datastax.oss.driver.api.core.metadata.schema.TableMetadata;
import dev.astrabridge.astradb.mapping.Names;

/** Table and column lookups for reads, with errors that say what exists. */
public final class ReadQueries {
  public static TableMetadata table(CqlSession session, String keyspace, String table) {
    KeyspaceMetadata ks = session.getMetadata().getKeyspace(CqlIdentifier.fromCql(keyspace)).orElseThrow(() ->
        new IllegalArgumentException("AstraDbIO.read(): keyspace " + keyspace + " does not exist"));
    return ks.getTable(CqlIdentifier.fromCql(table)).orElseThrow(() -> new IllegalArgumentException(
        "AstraDbIO.read(): table " + keyspace + "." + table + " does not exist; tables there: " + ks.getTables().keySet()));
  }

  /** The column a field names, exactly or ignoring case and underscores (the write mapping's rule); null if none. */
  static ColumnMetadata column(TableMetadata table, String field) {
    for (ColumnMetadata c : table.getColumns().values()) {
      if (c.getName().asInternal().equals(field)) {
        return c;
      }
    }
    for (ColumnMetadata c : table.getColumns().values()) {
      if (Names.same(c.getName().asInternal(), field)) {
        return c;
      }
    }
    return null;
  }

  private ReadQueries() {}
}
