package dev.astrabridge.astradb.decode;

import com.google.auto.value.AutoValue;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.apache.avro.Schema;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * How message payloads are encoded, and the reader schema records are resolved to.
 *
 * <ul>
 *   <li>{@link Encoding#BINARY}: Avro binary, written with the (single) writer schema — the reader schema unless
 *       {@link #withWriterSchemas} names it;</li>
 *   <li>{@link Encoding#SINGLE_OBJECT}: Avro single-object encoding; the 64-bit fingerprint in the header selects the
 *       writer schema among the reader schema and {@link #withWriterSchemas}, so records of older and newer writer
 *       schemas are resolved against the reader schema (schema evolution);</li>
 *   <li>{@link Encoding#JSON}: Avro's JSON encoding of the record.</li>
 * </ul>
 */
@AutoValue
public abstract class PayloadFormat implements Serializable {
  private static final long serialVersionUID = 1L;

  public enum Encoding { BINARY, SINGLE_OBJECT, JSON }

  abstract String readerSchemaJson();

  public abstract Encoding encoding();

  abstract List<String> writerSchemasJson();

  /** Binary payloads whose writer schema is named per message by a version attribute (a schema registry's). */
  abstract Map<Long, String> versionedWriterSchemasJson();

  abstract @Nullable String versionAttribute();

  private transient Schema readerSchema;

  public static PayloadFormat of(Encoding encoding, Schema readerSchema) {
    return new AutoValue_PayloadFormat(readerSchema.toString(), encoding, List.of(), Map.of(), null);
  }

  /**
   * Avro binary payloads written with one of several registered schema versions, the version named by the message
   * attribute {@code versionAttribute} (e.g. Pulsar's schema registry: a message carries its schema version); each is
   * resolved against {@code readerSchema} (usually the latest version). A message without the attribute, or with a
   * version not in {@code writersByVersion}, fails to decode with that reason.
   */
  public static PayloadFormat avroBinaryByVersion(Schema readerSchema, Map<Long, Schema> writersByVersion,
                                                  String versionAttribute) {
    Map<Long, String> json = new TreeMap<>();
    writersByVersion.forEach((version, schema) -> json.put(version, schema.toString()));
    return new AutoValue_PayloadFormat(readerSchema.toString(), Encoding.BINARY, List.of(), Map.copyOf(json),
        Objects.requireNonNull(versionAttribute));
  }

  public static PayloadFormat avroBinary(Schema readerSchema) {
    return of(Encoding.BINARY, readerSchema);
  }

  public static PayloadFormat avroSingleObject(Schema readerSchema) {
    return of(Encoding.SINGLE_OBJECT, readerSchema);
  }

  public static PayloadFormat avroJson(Schema readerSchema) {
    return of(Encoding.JSON, readerSchema);
  }

  /** Other writer schemas records may have been written with (older or newer versions of the reader schema). */
  public PayloadFormat withWriterSchemas(Schema... writerSchemas) {
    List<String> all = new ArrayList<>(writerSchemasJson());
    for (Schema schema : writerSchemas) {
      all.add(schema.toString());
    }
    if (encoding() == Encoding.BINARY && all.size() > 1) {
      throw new IllegalArgumentException("withWriterSchemas: plain Avro binary carries no schema id, so it can have one"
          + " writer schema only; use single-object encoding for several");
    }
    return new AutoValue_PayloadFormat(readerSchemaJson(), encoding(), List.copyOf(all), versionedWriterSchemasJson(),
        versionAttribute());
  }

  public Schema readerSchema() {
    if (readerSchema == null) {
      readerSchema = new Schema.Parser().parse(readerSchemaJson());
    }
    return readerSchema;
  }

  public List<Schema> writerSchemas() {
    List<Schema> schemas = new ArrayList<>();
    for (String json : writerSchemasJson()) {
      schemas.add(new Schema.Parser().parse(json));
    }
    return schemas;
  }

  /** The writer schemas by registered version (empty unless {@link #avroBinaryByVersion}). */
  public Map<Long, Schema> writerSchemasByVersion() {
    Map<Long, Schema> schemas = new TreeMap<>();
    versionedWriterSchemasJson().forEach((version, json) -> schemas.put(version, new Schema.Parser().parse(json)));
    return schemas;
  }

  /** A decoder for one thread (DoFn instance); decoders reuse buffers and are not thread-safe. */
  public PayloadDecoder newDecoder() {
    return new PayloadDecoder(this);
  }

  public String describe() {
    return encoding().name().toLowerCase() + " " + readerSchema().getFullName()
        + (writerSchemasJson().isEmpty() ? "" : " (+" + writerSchemasJson().size() + " writer schemas)")
        + (versionAttribute() == null ? "" : " (" + versionedWriterSchemasJson().size() + " registered versions)");
  }
}
