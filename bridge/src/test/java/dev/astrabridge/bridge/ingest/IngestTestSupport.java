package dev.astrabridge.bridge.ingest;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import dev.astrabridge.localstack.LocalStack;
import dev.astrabridge.schemas.common.Address;
import dev.astrabridge.schemas.events.CurrencyCode;
import dev.astrabridge.schemas.events.Customer;
import dev.astrabridge.schemas.events.LineItem;
import dev.astrabridge.schemas.events.OrderEvent;
import dev.astrabridge.schemas.events.OrderStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;

/** Shared by the ingest tests. */
final class IngestTestSupport {
  static final String ORDERS_MAPPING = "customer_id = customer.customer_id, customer_name = customer.name,"
      + " customer_email = customer.email, shipping_address = customer.shipping_address,"
      + " source_message_id = @message_id, *";

  static OrderEvent order(UUID id, long version, OrderStatus status, Instant createdAt) {
    return OrderEvent.newBuilder()
        .setOrderId(id).setVersion(version).setStatus(status)
        .setCustomer(Customer.newBuilder().setCustomerId("c-" + Math.floorMod(id.hashCode(), 50)).setName("Ada")
            .setEmail(null).setShippingAddress(Address.newBuilder().setStreet("1 Main St").setCity("Paris")
                .setPostalCode(null).setCountry("FR").build()).build())
        .setAmount(new BigDecimal("20.00").add(BigDecimal.valueOf(version)))
        .setCurrency(new CurrencyCode("EUR".getBytes(StandardCharsets.US_ASCII)))
        .setItems(List.of(LineItem.newBuilder().setSku("SKU").setQuantity(1).setUnitPrice(new BigDecimal("20.00")).build()))
        .setTags(Map.of()).setCreatedAt(createdAt).build();
  }

  static byte[] bytes(OrderEvent order) {
    try {
      ByteBuffer b = order.toByteBuffer();
      byte[] out = new byte[b.remaining()];
      b.get(out);
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static CqlSession session(LocalStack stack) {
    return CqlSession.builder().addContactPoint(stack.cassandraContactPoint()).withLocalDatacenter(stack.cassandraLocalDc())
        .withAuthCredentials("token", stack.astraToken()).withKeyspace(stack.keyspace()).build();
  }

  /** Rows of these orders currently in astra_bridge.orders. */
  static List<Row> rows(CqlSession session, List<UUID> ids) {
    List<Row> rows = new ArrayList<>();
    for (UUID id : ids) {
      Row row = session.execute("SELECT order_id, version, status, source_message_id FROM orders WHERE order_id = ?", id).one();
      if (row != null) {
        rows.add(row);
      }
    }
    return rows;
  }

  /** Dead letters of today whose source starts with the prefix. */
  static List<Row> deadLetters(CqlSession session, String sourcePrefix) {
    List<Row> out = new ArrayList<>();
    for (Row row : session.execute("SELECT stage, source, message_id, error, payload FROM dead_letter WHERE day = ?",
        LocalDate.now(ZoneOffset.UTC))) {
      if (row.getString("source") != null && row.getString("source").startsWith(sourcePrefix)) {
        out.add(row);
      }
    }
    return out;
  }

  static void await(String what, long seconds, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return;
      }
      Thread.sleep(250);
    }
    throw new AssertionError("timed out after " + seconds + " s waiting for " + what);
  }

  private IngestTestSupport() {}
}
