package dev.astrabridge.bridge.pulsar;

import dev.astrabridge.astradb.connect.SecretRef;
import dev.astrabridge.localstack.LocalStack;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.pulsar.client.api.AuthenticationFactory;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.PulsarClientException;

/** Shared by the Pulsar IO tests: connections, admin calls with the admin token, collectors, pipelines. */
public final class PulsarTestSupport {
  static final Map<String, List<Object>> COLLECTED = new ConcurrentHashMap<>();

  static PulsarConnection connection(LocalStack stack) {
    return PulsarConnection.of(stack.pulsarServiceUrlTls())
        .withToken(SecretRef.file(stack.pulsarClientTokenFile().toString()))
        .withTlsTrustCertsFile(stack.caCert().toString())
        .withAdminUrl(stack.pulsarAdminUrl());
  }

  /** A client of the local stack's broker: pulsar+ssl, hostname verification, the client token. */
  public static PulsarClient client(LocalStack stack) throws PulsarClientException {
    return PulsarClient.builder().serviceUrl(stack.pulsarServiceUrlTls()).tlsTrustCertsFilePath(stack.caCert().toString())
        .enableTlsHostnameVerification(true).authentication(AuthenticationFactory.token(stack::pulsarClientToken)).build();
  }

  /** A fresh topic name in namespace {@code ns} (where broker deduplication is on). */
  static String topic(LocalStack stack, String ns, String prefix) {
    return stack.pulsarTopic(ns, prefix + "-" + UUID.randomUUID().toString().substring(0, 8));
  }

  static Pipeline streamingPipeline() {
    DirectOptions options = PipelineOptionsFactory.create().as(DirectOptions.class);
    options.setRunner(DirectRunner.class);
    options.setBlockOnRun(false);
    options.setTargetParallelism(3);
    return Pipeline.create(options);
  }

  public static Pipeline batchPipeline() {
    DirectOptions options = PipelineOptionsFactory.create().as(DirectOptions.class);
    options.setRunner(DirectRunner.class);
    return Pipeline.create(options);
  }

  public static <T> void collect(PCollection<T> values, String key) {
    COLLECTED.put(key, Collections.synchronizedList(new ArrayList<>()));
    values.apply("Collect " + key, ParDo.of(new DoFn<T, Void>() {
      @ProcessElement
      public void process(@Element T value) {
        COLLECTED.get(key).add(value);
      }
    }));
  }

  @SuppressWarnings("unchecked")
  public static <T> List<T> collected(String key) {
    synchronized (COLLECTED.get(key)) {
      return new ArrayList<>((List<T>) (List<?>) COLLECTED.get(key));
    }
  }

  /** Waits until {@code key} holds at least {@code n} values (or the timeout passes); returns the count. */
  static int awaitCollected(String key, int n, long timeoutSeconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    while (System.nanoTime() < deadline && COLLECTED.get(key).size() < n) {
      Thread.sleep(100);
    }
    return COLLECTED.get(key).size();
  }

  private PulsarTestSupport() {}
}
