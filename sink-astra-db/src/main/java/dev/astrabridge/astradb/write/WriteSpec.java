package dev.astrabridge.astradb.write;

import dev.astrabridge.astradb.connect.AstraDbConnection;
import dev.astrabridge.astradb.connect.SessionFactory;
import dev.astrabridge.astradb.decode.PayloadFormat;
import dev.astrabridge.astradb.mapping.MappingPlan;
import dev.astrabridge.astradb.mapping.MappingSpec;
import java.io.Serializable;
import java.time.Duration;

/** What a {@link WriteFn} needs of the transform's configuration (implemented by AstraDbIO.Write). */
public interface WriteSpec extends Serializable {
  AstraDbConnection connection();

  SessionFactory sessionFactory();

  String keyspace();

  String table();

  MappingSpec mapping();

  PayloadFormat payloadFormat();

  MappingPlan.Options planOptions();

  FailurePolicy failurePolicy();

  /** Whether an empty payload is a tombstone (a DELETE of the row its metadata key names). */
  boolean tombstonesDelete();

  int maxBatchRows();

  int maxBatchBytes();

  int maxBufferedRows();

  int maxConcurrentRequests();

  Duration retryTimeout();
}
