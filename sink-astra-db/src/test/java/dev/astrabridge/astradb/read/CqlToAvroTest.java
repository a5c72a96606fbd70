package dev.astrabridge.astradb.read;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.datastax.oss.driver.api.core.data.CqlDuration;
import com.datastax.oss.driver.api.core.type.DataTypes;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import org.apache.avro.Conversions;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

class CqlToAvroTest {
  @Test
  void durationsAreWrittenAsIso8601ThatTheWriteSideParsesBack() {
    for (String iso : new String[] {"P1DT2H3M", "P1Y2M", "1h30m500ms", "P3W", "-P2DT1S", "P0D"}) {
      CqlDuration d = CqlDuration.from(iso);
      assertThat(CqlDuration.from(CqlToAvro.iso8601(d))).as(iso).isEqualTo(d);
    }
    assertThat(CqlToAvro.iso8601(CqlDuration.from("P1DT2H3M"))).isEqualTo("P1DT2H3M");
  }

  @Test
  void decimalsTakeTheScaleOfTheTargetSchemaOrFailLoudly() {
    Schema dec = LogicalTypes.decimal(10, 3).addToSchema(Schema.create(Schema.Type.BYTES));
    Object bytes = CqlToAvro.converter(DataTypes.DECIMAL, dec).convert(new BigDecimal("1.5"));
    assertThat(new Conversions.DecimalConversion().fromBytes((ByteBuffer) bytes, dec, dec.getLogicalType()))
        .isEqualTo(new BigDecimal("1.500"));
    assertThatThrownBy(() -> CqlToAvro.converter(DataTypes.DECIMAL, dec).convert(new BigDecimal("1.2345")))
        .isInstanceOf(ArithmeticException.class);
  }

  @Test
  void anUnsupportedPairNamesBothTypes() {
    assertThatThrownBy(() -> CqlToAvro.converter(DataTypes.UUID, Schema.create(Schema.Type.LONG)))
        .hasMessageContaining("uuid").hasMessageContaining("long");
  }
}
