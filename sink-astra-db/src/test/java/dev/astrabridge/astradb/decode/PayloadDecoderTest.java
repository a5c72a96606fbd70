package dev.astrabridge.astradb.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.Test;

/** Decoding of every payload format, without a server. */
class PayloadDecoderTest {
  static final Schema V1 = SchemaBuilder.record("Reading").namespace("test").fields()
      .requiredString("id").requiredLong("value").endRecord();
  static final Schema V2 = SchemaBuilder.record("Reading").namespace("test").fields()
      .requiredString("id").requiredLong("value").name("unit").type().stringType().stringDefault("C").endRecord();

  static byte[] binary(Schema schema, Map<String, Object> values) throws Exception {
    GenericRecord record = new GenericData.Record(schema);
    values.forEach(record::put);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    new GenericDatumWriter<GenericRecord>(schema).write(record, encoder);
    encoder.flush();
    return out.toByteArray();
  }

  @Test
  void registeredVersionsPickTheWriterSchemaByTheMessagesVersionAttribute() throws Exception {
    PayloadDecoder decoder = PayloadFormat.avroBinaryByVersion(V2, Map.of(0L, V1, 1L, V2), "schema-version")
        .newDecoder();

    GenericRecord old = decoder.decode(binary(V1, Map.of("id", "a", "value", 7L)), Map.of("schema-version", "0"));
    assertThat(old.get("id").toString()).isEqualTo("a");
    assertThat(old.get("value")).isEqualTo(7L);
    assertThat(old.get("unit").toString()).as("the newer field's default").isEqualTo("C");

    GenericRecord current = decoder.decode(binary(V2, Map.of("id", "b", "value", 8L, "unit", "F")),
        Map.of("schema-version", "1"));
    assertThat(current.get("unit").toString()).isEqualTo("F");
  }

  @Test
  void aMissingOrUnknownVersionIsADecodeErrorSayingSo() throws Exception {
    PayloadDecoder decoder = PayloadFormat.avroBinaryByVersion(V2, Map.of(0L, V1, 1L, V2), "schema-version")
        .newDecoder();
    byte[] payload = binary(V2, Map.of("id", "b", "value", 8L, "unit", "F"));
    assertThatThrownBy(() -> decoder.decode(payload, Map.of())).isInstanceOf(DecodeException.class)
        .hasMessageContaining("names no schema version (schema-version)");
    assertThatThrownBy(() -> decoder.decode(payload, Map.of("schema-version", "7")))
        .isInstanceOf(DecodeException.class)
        .hasMessageContaining("schema version 7 was not registered when the job started (known: [0, 1])");
    assertThatThrownBy(() -> decoder.decode(new byte[] {1, 2, 3}, Map.of("schema-version", "1")))
        .isInstanceOf(DecodeException.class).hasMessageContaining("schema version 1");
  }

  @Test
  void theVersionedFormatSurvivesJavaSerialization() throws Exception {
    PayloadFormat format = PayloadFormat.avroBinaryByVersion(V2, Map.of(0L, V1, 1L, V2), "schema-version");
    PayloadFormat copy = org.apache.beam.sdk.util.SerializableUtils.clone(format);
    assertThat(copy.writerSchemasByVersion()).containsOnlyKeys(0L, 1L);
    assertThat(copy.describe()).contains("2 registered versions");
  }
}
