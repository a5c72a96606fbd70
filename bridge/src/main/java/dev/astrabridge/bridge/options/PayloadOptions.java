package dev.astrabridge.bridge.options;

import java.util.List;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** How payloads are encoded. */
public interface PayloadOptions extends PipelineOptions {
  @Description("Reader schema: a schema of schemas/ by name (OrderEvent, DeviceTelemetry), an .avsc file path, or"
      + " registry: the Pulsar topic's registered AVRO schema (latest version; older versions' records resolved to it;"
      + " payloads Avro binary as Pulsar producers write them, --payloadEncoding ignored; needs --pulsarAdminUrl)")
  @Default.String("OrderEvent")
  String getSchema();

  void setSchema(String value);

  @Description("Payload encoding: single-object (Avro single-object, schema evolution by fingerprint), binary (plain"
      + " Avro binary) or json (Avro JSON)")
  @Default.String("single-object")
  @TemplateRegex("^(single-object|binary|json)$")
  String getPayloadEncoding();

  void setPayloadEncoding(String value);

  @Description("Other writer schemas (.avsc paths, comma separated) that payloads may have been written with")
  List<String> getWriterSchemas();

  void setWriterSchemas(List<String> value);
}
