package dev.astrabridge.bridge.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Metrics;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

class PrometheusEndpointTest {
  @Test
  void exposesWhatTheStepsRecordInMicrometersGlobalRegistry() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    PrometheusEndpoint.ensureStarted(port);
    PrometheusEndpoint.ensureStarted(port); // once per JVM
    Metrics.counter("astradb.rows.written", "table", "ks.t").increment(3);

    HttpResponse<String> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).contains("astradb_rows_written_total{table=\"ks.t\"} 3.0");
  }
}
