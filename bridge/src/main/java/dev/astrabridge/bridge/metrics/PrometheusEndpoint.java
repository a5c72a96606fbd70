package dev.astrabridge.bridge.metrics;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Prometheus scrape endpoint (GET /metrics) over Micrometer's global registry — what AstraDbIO and the bridge's
 * steps record into — started once per worker JVM by the first {@link StageMeters} meter updated there with a port.
 * Not for Dataflow, which has its own monitoring.
 */
public final class PrometheusEndpoint {
  private static final Logger LOG = LoggerFactory.getLogger(PrometheusEndpoint.class);
  private static HttpServer server;

  /** Starts the endpoint in this JVM if it is not running yet (a later call's port is ignored: one per JVM). */
  public static synchronized void ensureStarted(int port) {
    if (server != null) {
      return;
    }
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Metrics.addRegistry(registry);
    try {
      server = HttpServer.create(new InetSocketAddress(port), 0);
    } catch (IOException e) {
      // metrics are not worth failing the job over (another worker of this host may hold the port)
      LOG.warn("--prometheusPort={}: cannot listen ({}); this worker exposes no Prometheus endpoint", port, e.getMessage());
      Metrics.removeRegistry(registry);
      server = null;
      return;
    }
    server.createContext("/metrics", exchange -> {
      byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    server.setExecutor(null);
    server.start();
    LOG.info("Prometheus metrics on http://0.0.0.0:{}/metrics", port);
  }

  /** The port this JVM's endpoint listens on, or -1 when it is not running. */
  public static synchronized int port() {
    return server == null ? -1 : server.getAddress().getPort();
  }

  private PrometheusEndpoint() {}
}
