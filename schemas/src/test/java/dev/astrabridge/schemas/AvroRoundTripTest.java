package dev.astrabridge.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import dev.astrabridge.schemas.common.Address;
import dev.astrabridge.schemas.events.Customer;
import dev.astrabridge.schemas.events.CurrencyCode;
import dev.astrabridge.schemas.events.DeviceTelemetry;
import dev.astrabridge.schemas.events.GeoPoint;
import dev.astrabridge.schemas.events.LineItem;
import dev.astrabridge.schemas.events.OrderEvent;
import dev.astrabridge.schemas.events.OrderStatus;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;

/** The generated classes round-trip through Avro binary encoding and single-object encoding. */
class AvroRoundTripTest {

  static OrderEvent sampleOrder() {
    return OrderEvent.newBuilder()
        .setOrderId(UUID.randomUUID())
        .setVersion(3)
        .setStatus(OrderStatus.PAID)
        .setCustomer(Customer.newBuilder().setCustomerId("c-42").setName("Ada Lovelace").setEmail("ada@example.com")
            .setShippingAddress(Address.newBuilder().setStreet("1 Analytical St").setCity("London")
                .setPostalCode("N1 9GU").setCountry("GB").build())
            .build())
        .setAmount(new BigDecimal("1234.50"))
        .setCurrency(new CurrencyCode("EUR".getBytes(StandardCharsets.US_ASCII)))
        .setItems(List.of(LineItem.newBuilder().setSku("SKU-1").setQuantity(2).setUnitPrice(new BigDecimal("617.25")).build()))
        .setTags(Map.of("channel", "web", "campaign", "black-friday"))
        .setCreatedAt(Instant.parse("2026-11-26T10:15:30.123Z"))
        .setUpdatedAt(null)
        .setCouponCode(null)
        .build();
  }

  static DeviceTelemetry sampleTelemetry() {
    return DeviceTelemetry.newBuilder()
        .setEventId(UUID.randomUUID())
        .setDeviceId("dev-7")
        .setReadingTime(Instant.now().truncatedTo(ChronoUnit.MILLIS))
        .setTemperatureC(21.5)
        .setHumidityPct(40.25f)
        .setBatteryMv(3700)
        .setLocation(GeoPoint.newBuilder().setLat(48.85).setLon(2.35).build())
        .setFirmware("1.2.3")
        .setFlags(List.of("low-battery"))
        .setMetrics(Map.of("rssi", -67.0))
        .setIpAddress("10.0.0.7")
        .setTtlSeconds(86400)
        .build();
  }

  @SuppressWarnings("unchecked")
  static <T extends SpecificRecord> T roundTrip(T record) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    new SpecificDatumWriter<T>(record.getSchema()).write(record, encoder);
    encoder.flush();
    return new SpecificDatumReader<T>(record.getSchema())
        .read(null, DecoderFactory.get().binaryDecoder(out.toByteArray(), null));
  }

  @Test
  void orderEventRoundTripsThroughBinaryEncoding() throws Exception {
    OrderEvent order = sampleOrder();
    OrderEvent decoded = roundTrip(order);
    assertThat(decoded).isEqualTo(order);
    assertThat(decoded.getAmount()).isEqualByComparingTo("1234.50");
    assertThat(decoded.getCustomer().getShippingAddress().getCity()).isEqualTo("London");
    assertThat(decoded.getCreatedAt()).isEqualTo(Instant.parse("2026-11-26T10:15:30.123Z"));
  }

  @Test
  void telemetryRoundTripsThroughBinaryEncoding() throws Exception {
    DeviceTelemetry telemetry = sampleTelemetry();
    assertThat(roundTrip(telemetry)).isEqualTo(telemetry);
  }

  @Test
  void singleObjectEncodingRoundTrips() throws Exception {
    OrderEvent order = sampleOrder();
    assertThat(OrderEvent.fromByteBuffer(order.toByteBuffer())).isEqualTo(order);
  }

  @Test
  void schemasShipInTheJarByName() throws Exception {
    try (var in = getClass().getResourceAsStream("/schemas/avro/OrderEvent.avsc")) {
      assertThat(in).as("OrderEvent.avsc on the classpath").isNotNull();
    }
    // a generic reader with the writer schema reads what the specific writer wrote
    OrderEvent order = sampleOrder();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    new SpecificDatumWriter<OrderEvent>(OrderEvent.getClassSchema()).write(order, encoder);
    encoder.flush();
    Schema schema = OrderEvent.getClassSchema();
    GenericRecord generic = new GenericDatumReader<GenericRecord>(schema, schema, new GenericData())
        .read(null, DecoderFactory.get().binaryDecoder(out.toByteArray(), null));
    assertThat(generic.get("status").toString()).isEqualTo("PAID");
    assertThat(((GenericRecord) generic.get("customer")).get("customer_id").toString()).isEqualTo("c-42");
  }
}
