package dev.astrabridge.astradb.read;

import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import dev.astrabridge.astradb.connect.AstraDbConnection;
import dev.astrabridge.astradb.connect.SessionFactory;
import java.io.Serializable;
import org.checkerframework.checker.nullness.qual.Nullable;

/** What the read DoFns need of the transform's configuration (implemented by AstraDbIO.Read). */
public interface ReadSpec extends Serializable {
  AstraDbConnection connection();

  SessionFactory sessionFactory();

  @Nullable String keyspace();

  @Nullable String table();

  /** A CQL query whose first two bind markers take a split's start and end tokens; null reads the table. */
  @Nullable String query();

  /** At least this many splits; 0 for the default (16, or the ring's number of ranges if larger). */
  int minSplits();

  int pageSize();

  DefaultConsistencyLevel consistency();
}
