package dev.astrabridge.bridge.metrics;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Arrays;

/** Reads this JVM's Prometheus endpoint over HTTP, as a scraper would. */
public final class Scrape {

  /** A free port to pass as --prometheusPort (ignored when an earlier test of this JVM started the endpoint). */
  public static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /** The exposition text of this JVM's endpoint; empty when none runs yet (nothing exposed so far). */
  public static String text() throws IOException, InterruptedException {
    int port = PrometheusEndpoint.port();
    return port < 0 ? "" : text(port);
  }

  /** The exposition text of the endpoint on {@code port} of this host (e.g. a job started in another JVM). */
  public static String text(int port) throws IOException, InterruptedException {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
        .build(), HttpResponse.BodyHandlers.ofString()).body();
  }

  /**
   * The sum of the samples of {@code metric} whose labels contain every {@code label="value"} given (0 when there is
   * none), e.g. {@code value("mirror_published_total", "direction=\"pulsar-to-pubsub\"")}.
   */
  public static double value(String metric, String... labels) throws IOException, InterruptedException {
    double sum = 0;
    for (String line : text().split("\n")) {
      if (line.startsWith("#") || !line.startsWith(metric)) {
        continue;
      }
      String rest = line.substring(metric.length());
      if (!rest.startsWith("{") && !rest.startsWith(" ")) {
        continue; // another metric whose name starts with this one
      }
      if (Arrays.stream(labels).allMatch(line::contains)) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return sum;
  }

  private Scrape() {}
}
