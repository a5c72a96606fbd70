package dev.astrabridge.astradb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Statement;
import com.datastax.oss.driver.api.core.servererrors.OverloadedException;
import dev.astrabridge.astradb.connect.AstraDbConnection;
import dev.astrabridge.astradb.connect.DefaultSessionFactory;
import dev.astrabridge.astradb.connect.SessionFactory;
import dev.astrabridge.astradb.decode.PayloadFormat;
import dev.astrabridge.astradb.mapping.MappingSpec;
import dev.astrabridge.astradb.write.FailurePolicy;
import dev.astrabridge.localstack.LocalStack;
import dev.astrabridge.localstack.LocalStackExtension;
import dev.astrabridge.schemas.events.OrderEvent;
import dev.astrabridge.schemas.events.OrderStatus;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.apache.beam.sdk.Pipeline;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Failure paths of the write that a healthy real node cannot produce on demand: the real session is wrapped by an
 * injected {@link SessionFactory} that fails every INSERT with an OverloadedException (a FAKE driver failure; the
 * session, the table and everything else are real). Also: writeNulls, and Micrometer's view of the writes.
 */
@ExtendWith(LocalStackExtension.class)
class InjectedDriverFailuresIT {

  /** Opens the real session and fails its INSERT executions (prepare and metadata stay real). */
  static final class FailingInserts implements SessionFactory {
    private static final long serialVersionUID = 1L;

    @Override
    public CqlSession open(AstraDbConnection connection) {
      CqlSession real = new DefaultSessionFactory().open(connection);
      InvocationHandler handler = (proxy, method, args) -> {
        boolean async = method.getName().equals("executeAsync") && args.length == 1 && args[0] instanceof Statement
            || method.getName().equals("execute") && args.length == 2 && args[1] == Statement.ASYNC;
        if (async) {
          return CompletableFuture.failedFuture(new OverloadedException(null, "injected: server overloaded"));
        }
        try {
          return method.invoke(real, args);
        } catch (InvocationTargetException e) {
          throw e.getCause();
        }
      };
      return (CqlSession) Proxy.newProxyInstance(CqlSession.class.getClassLoader(), new Class<?>[] {CqlSession.class}, handler);
    }
  }

  private static AstraDbIO.Write orders(LocalStack stack) {
    return AstraDbIO.write().withConnection(SinkTestSupport.connection(stack)).withTable(stack.keyspace(), "orders")
        .withPayloadFormat(PayloadFormat.avroSingleObject(OrderEvent.getClassSchema()))
        .withMapping(MappingSpec.parse(Orders.MAPPING));
  }

  @Test
  void rowsStillFailingAfterTheRetryTimeoutAreDeadLetteredWithTheReason(LocalStack stack) {
    UUID id = UUID.randomUUID();
    Pipeline pipeline = SinkTestSupport.pipeline();
    AstraDbIO.WriteResult result = SinkTestSupport.create(pipeline, List.of(
            Orders.message(Orders.order(id, 1, OrderStatus.PAID, Instant.now()), "w-1", Instant.now())))
        .apply(orders(stack).withSessionFactory(new FailingInserts()).withRetryTimeout(Duration.ofSeconds(2)));
    SinkTestSupport.collect(result.getDeadLetters(), "write-failures");
    pipeline.run().waitUntilFinish();

    assertThat(SinkTestSupport.collected("write-failures")).singleElement().satisfies(d -> {
      assertThat(d.getStage()).isEqualTo("write");
      assertThat(d.getError()).contains("OverloadedException").contains("injected: server overloaded");
      assertThat(d.getAttempts()).isGreaterThan(1);
      assertThat(d.getMessage().getMessageId()).isEqualTo("w-1");
    });
  }

  @Test
  void underFailBundleTheBundleFailsInsteadSoTheRunnerRetriesIt(LocalStack stack) {
    Pipeline pipeline = SinkTestSupport.pipeline();
    SinkTestSupport.create(pipeline, List.of(Orders.message(Orders.order(UUID.randomUUID(), 1, OrderStatus.PAID, Instant.now()), "w-2", Instant.now())))
        .apply(orders(stack).withSessionFactory(new FailingInserts()).withRetryTimeout(Duration.ofSeconds(1))
            .withFailurePolicy(FailurePolicy.FAIL_BUNDLE));
    assertThatThrownBy(() -> pipeline.run().waitUntilFinish())
        .hasStackTraceContaining("1 rows of this bundle could not be written to astra_bridge.orders")
        .hasStackTraceContaining("the runner will retry the bundle");
  }

  @Test
  void writeNullsOverwritesWhileTheDefaultLeavesColumnsUnset(LocalStack stack) {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Metrics.addRegistry(registry);
    try {
      UUID id = UUID.randomUUID();
      Instant t = Instant.parse("2026-11-26T12:00:00Z");
      OrderEvent withCoupon = Orders.order(id, 1, OrderStatus.PAID, t);
      withCoupon.setCouponCode("SAVE10");
      OrderEvent withoutCoupon = Orders.order(id, 2, OrderStatus.PAID, t);
      Pipeline first = SinkTestSupport.pipeline();
      SinkTestSupport.create(first, List.of(Orders.message(withCoupon, "n-1", t))).apply(orders(stack));
      first.run().waitUntilFinish();
      // default: a null leaves the column unset, the older coupon survives the newer partial update
      Pipeline partial = SinkTestSupport.pipeline();
      SinkTestSupport.create(partial, List.of(Orders.message(withoutCoupon, "n-2", t.plusSeconds(1)))).apply(orders(stack));
      partial.run().waitUntilFinish();
      try (CqlSession session = SinkTestSupport.session(stack)) {
        assertThat(session.execute("SELECT coupon_code, version FROM orders WHERE order_id = ?", id).one().getString(0)).isEqualTo("SAVE10");
      }
      // writeNulls: the null is written
      Pipeline nulls = SinkTestSupport.pipeline();
      SinkTestSupport.create(nulls, List.of(Orders.message(withoutCoupon, "n-3", t.plusSeconds(2)))).apply(orders(stack).withWriteNulls(true));
      nulls.run().waitUntilFinish();
      try (CqlSession session = SinkTestSupport.session(stack)) {
        assertThat(session.execute("SELECT coupon_code FROM orders WHERE order_id = ?", id).one().isNull(0)).isTrue();
      }
      assertThat(registry.get("astradb.rows.written").tag("table", "astra_bridge.orders").counter().count()).isGreaterThanOrEqualTo(3);
      assertThat(registry.get("astradb.write.latency").tag("table", "astra_bridge.orders").timer().count()).isGreaterThanOrEqualTo(3);
    } finally {
      Metrics.removeRegistry(registry);
    }
  }
}
