package dev.astrabridge.bench;

import dev.astrabridge.schemas.envelope.BridgeMessage;
import dev.astrabridge.schemas.events.DeviceTelemetry;
import dev.astrabridge.schemas.events.GeoPoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Deterministic sample telemetry for the benchmarks: reading i belongs to device i / perDevice. */
public final class BenchData {
  public static final Instant BASE = Instant.parse("2026-11-01T00:00:00Z");

  public static DeviceTelemetry reading(String run, long i, int perDevice) {
    return DeviceTelemetry.newBuilder()
        .setEventId(new UUID(run.hashCode(), i))
        .setDeviceId(run + "-dev-" + (i / perDevice))
        .setReadingTime(BASE.plusMillis(i))
        .setTemperatureC(15 + (i % 200) / 10.0)
        .setHumidityPct((float) (i % 100))
        .setBatteryMv(3000 + (int) (i % 1000))
        .setLocation(GeoPoint.newBuilder().setLat(48.8 + (i % 10) / 100.0).setLon(2.3).build())
        .setFirmware("fw-1.4.2")
        .setFlags(List.of("ok"))
        .setMetrics(Map.of("rssi", -60.0 - (i % 30)))
        .setIpAddress("10.0." + (i % 250) + ".1")
        .setTtlSeconds(null)
        .build();
  }

  public static BridgeMessage message(DeviceTelemetry reading) {
    try {
      return BridgeMessage.newBuilder().setPayload(reading.toByteBuffer()).setKey(reading.getDeviceId())
          .setOrderingKey(null).setAttributes(Map.of()).setMessageId(reading.getEventId().toString())
          .setEventTime(reading.getReadingTime()).setPublishTime(reading.getReadingTime()).setSource("bench").build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static byte[] bytes(ByteBuffer buffer) {
    byte[] out = new byte[buffer.remaining()];
    buffer.duplicate().get(out);
    return out;
  }

  private BenchData() {}
}
