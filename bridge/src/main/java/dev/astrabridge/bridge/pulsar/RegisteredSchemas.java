package dev.astrabridge.bridge.pulsar;

import dev.astrabridge.astradb.decode.PayloadFormat;
import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;

/**
 * A topic's schemas from Pulsar's schema registry, as the ingest job's payload format: the latest AVRO version is
 * the reader schema, every registered version a writer schema chosen per message by the version the producer
 * stamped on it (carried as {@link AstraStreamingIO#SCHEMA_VERSION_ATTRIBUTE}), so records of older versions are
 * resolved to the latest one. Payloads are Avro binary, which is what Pulsar's AVRO schema producers write.
 * Fetched once, when the job starts (through the admin REST API, with the job's token): a version registered later
 * is dead-lettered with a reason saying to restart the job.
 */
public final class RegisteredSchemas {

  /** The payload format of the topic's registered AVRO schema; a clear error when there is none or it is not Avro. */
  public static PayloadFormat payloadFormat(PulsarConnection connection, String topic) throws IOException {
    Map<Long, String[]> versions = PulsarAdminRest.of(connection).schemaVersions(topic);
    if (versions.isEmpty()) {
      throw new IllegalArgumentException("topic " + topic + " has no registered schema (producers that use"
          + " Schema.AVRO register one)");
    }
    Map<Long, Schema> writers = new TreeMap<>();
    Schema latest = null;
    for (Map.Entry<Long, String[]> v : versions.entrySet()) {
      String type = v.getValue()[0];
      if (!"AVRO".equals(type)) {
        throw new IllegalArgumentException("topic " + topic + ": registered schema version " + v.getKey() + " is "
            + type + "; only AVRO schemas can be read into rows");
      }
      try {
        latest = new Schema.Parser().parse(v.getValue()[1]);
      } catch (SchemaParseException e) {
        throw new IllegalArgumentException("topic " + topic + ": registered schema version " + v.getKey()
            + " is not a valid Avro schema: " + e.getMessage(), e);
      }
      writers.put(v.getKey(), latest);
    }
    return PayloadFormat.avroBinaryByVersion(latest, writers, AstraStreamingIO.SCHEMA_VERSION_ATTRIBUTE);
  }

  private RegisteredSchemas() {}
}
