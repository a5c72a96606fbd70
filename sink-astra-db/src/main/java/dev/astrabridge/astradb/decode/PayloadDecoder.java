package dev.astrabridge.astradb.decode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;

/**
 * Decodes payloads into {@link GenericRecord}s of the reader schema. Values are Avro's raw generic representation
 * (no logical-type conversions): the mapping converts them by schema, so decoding never depends on global state.
 * Not thread-safe.
 */
public final class PayloadDecoder {
  private static final byte[] SINGLE_OBJECT_MAGIC = {(byte) 0xC3, (byte) 0x01};

  private final PayloadFormat format;
  private final Schema reader;
  private final GenericDatumReader<GenericRecord> binaryReader;
  private final Map<Long, GenericDatumReader<GenericRecord>> byFingerprint = new HashMap<>();
  private final GenericDatumReader<GenericRecord> jsonReader;
  private final Map<Long, GenericDatumReader<GenericRecord>> byVersion = new HashMap<>();
  private BinaryDecoder binaryDecoder;

  PayloadDecoder(PayloadFormat format) {
    this.format = format;
    this.reader = format.readerSchema();
    GenericData data = new GenericData();
    // Avro's FastReader: resolution compiled once per (writer, reader) pair instead of interpreted per record
    data.setFastReaderEnabled(true);
    Schema binaryWriter = format.writerSchemas().isEmpty() ? reader : format.writerSchemas().get(0);
    this.binaryReader = new GenericDatumReader<>(binaryWriter, reader, data);
    this.jsonReader = new GenericDatumReader<>(reader, reader, new GenericData());
    byFingerprint.put(SchemaNormalization.parsingFingerprint64(reader), new GenericDatumReader<>(reader, reader, data));
    for (Schema writer : format.writerSchemas()) {
      byFingerprint.put(SchemaNormalization.parsingFingerprint64(writer), new GenericDatumReader<>(writer, reader, data));
    }
    format.writerSchemasByVersion().forEach((version, writer) ->
        byVersion.put(version, new GenericDatumReader<>(writer, reader, data)));
  }

  public Schema readerSchema() {
    return reader;
  }

  /** Decodes one payload, or throws {@link DecodeException} saying why it cannot be read. */
  public GenericRecord decode(byte[] payload) throws DecodeException {
    return decode(payload, Map.of());
  }

  /**
   * Decodes one payload of a message with these attributes (the writer schema's version is one of them for
   * {@link PayloadFormat#avroBinaryByVersion}), or throws {@link DecodeException} saying why it cannot be read.
   */
  public GenericRecord decode(byte[] payload, Map<String, String> attributes) throws DecodeException {
    if (format.versionAttribute() != null && payload != null && payload.length > 0) {
      return decodeVersioned(payload, attributes);
    }
    if (payload == null || payload.length == 0) {
      throw new DecodeException("empty payload");
    }
    try {
      switch (format.encoding()) {
        case BINARY:
          return readFully(binaryReader, payload, 0);
        case SINGLE_OBJECT:
          return decodeSingleObject(payload);
        case JSON:
          return jsonReader
              .read(null, DecoderFactory.get().jsonDecoder(reader, new String(payload, java.nio.charset.StandardCharsets.UTF_8)));
        default:
          throw new AssertionError(format.encoding());
      }
    } catch (DecodeException e) {
      throw e;
    } catch (IOException | AvroRuntimeException | IndexOutOfBoundsException | NegativeArraySizeException
        | ClassCastException | IllegalArgumentException e) {
      throw new DecodeException("not a valid " + format.describe() + " payload: " + describe(e), e);
    }
  }

  private GenericRecord decodeVersioned(byte[] payload, Map<String, String> attributes) throws DecodeException {
    String version = attributes == null ? null : attributes.get(format.versionAttribute());
    if (version == null) {
      throw new DecodeException("the message names no schema version (" + format.versionAttribute() + "): it was not"
          + " produced with the topic's registered schema");
    }
    GenericDatumReader<GenericRecord> datumReader;
    try {
      datumReader = byVersion.get(Long.parseLong(version));
    } catch (NumberFormatException e) {
      datumReader = null;
    }
    if (datumReader == null) {
      throw new DecodeException("schema version " + version + " was not registered when the job started (known: "
          + byVersion.keySet().stream().sorted().toList() + "); restart the job to load newer versions");
    }
    try {
      return readFully(datumReader, payload, 0);
    } catch (IOException | AvroRuntimeException | IndexOutOfBoundsException | NegativeArraySizeException
        | ClassCastException | IllegalArgumentException e) {
      throw new DecodeException("not a valid Avro binary payload of schema version " + version + ": " + describe(e), e);
    }
  }

  private GenericRecord decodeSingleObject(byte[] payload) throws IOException, DecodeException {
    if (payload.length < 10 || payload[0] != SINGLE_OBJECT_MAGIC[0] || payload[1] != SINGLE_OBJECT_MAGIC[1]) {
      throw new DecodeException("not Avro single-object encoding: the payload does not start with the C3 01 marker");
    }
    long fingerprint = ByteBuffer.wrap(payload, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    GenericDatumReader<GenericRecord> datumReader = byFingerprint.get(fingerprint);
    if (datumReader == null) {
      throw new DecodeException(String.format("unknown writer schema (fingerprint %016x): neither the reader schema %s"
          + " nor a configured writer schema", fingerprint, reader.getFullName()));
    }
    return readFully(datumReader, payload, 10);
  }

  private GenericRecord readFully(GenericDatumReader<GenericRecord> datumReader, byte[] payload, int offset)
      throws IOException, DecodeException {
    binaryDecoder = DecoderFactory.get().binaryDecoder(payload, offset, payload.length - offset, binaryDecoder);
    GenericRecord record = datumReader.read(null, binaryDecoder);
    if (!binaryDecoder.isEnd()) {
      throw new DecodeException("trailing bytes after the record: the payload was not written with the schema "
          + datumReader.getSchema().getFullName());
    }
    return record;
  }

  private static String describe(Throwable e) {
    String message = e.getMessage();
    return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }
}
