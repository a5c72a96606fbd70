package dev.astrabridge.bridge.ingest;

import org.apache.avro.generic.GenericRecord;

/** Values of decoded records by field path ({@code customer.address.city}); null when a step is missing or null. */
final class RecordPaths {
  static Object get(GenericRecord record, String path) {
    Object value = record;
    for (String part : path.split("\\.")) {
      if (!(value instanceof GenericRecord) || ((GenericRecord) value).getSchema().getField(part) == null) {
        return null;
      }
      value = ((GenericRecord) value).get(part);
    }
    return value;
  }

  /** The schema of the field at the end of the path, or null. */
  static org.apache.avro.Schema schema(GenericRecord record, String path) {
    org.apache.avro.Schema schema = record.getSchema();
    Object value = record;
    for (String part : path.split("\\.")) {
      if (!(value instanceof GenericRecord) || ((GenericRecord) value).getSchema().getField(part) == null) {
        return null;
      }
      schema = ((GenericRecord) value).getSchema().getField(part).schema();
      value = ((GenericRecord) value).get(part);
    }
    return schema;
  }

  private RecordPaths() {}
}
