package dev.astrabridge.astradb;

import dev.astrabridge.schemas.common.Address;
import dev.astrabridge.schemas.envelope.BridgeMessage;
import dev.astrabridge.schemas.events.CurrencyCode;
import dev.astrabridge.schemas.events.Customer;
import dev.astrabridge.schemas.events.LineItem;
import dev.astrabridge.schemas.events.OrderEvent;
import dev.astrabridge.schemas.events.OrderStatus;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Sample OrderEvents and the mapping of OrderEvent onto astra_bridge.orders. */
final class Orders {
  static final String MAPPING = "customer_id = customer.customer_id, customer_name = customer.name,"
      + " customer_email = customer.email, shipping_address = customer.shipping_address,"
      + " source_message_id = @message_id, *";

  static OrderEvent order(UUID id, long version, OrderStatus status, Instant createdAt) {
    return OrderEvent.newBuilder()
        .setOrderId(id).setVersion(version).setStatus(status)
        .setCustomer(Customer.newBuilder().setCustomerId("c-" + (id.hashCode() & 0xff)).setName("Grace Hopper")
            .setEmail(null).setShippingAddress(Address.newBuilder().setStreet("1 Navy Way").setCity("Arlington")
                .setPostalCode(null).setCountry("US").build()).build())
        .setAmount(new BigDecimal("10.00").add(BigDecimal.valueOf(version)))
        .setCurrency(new CurrencyCode("USD".getBytes(StandardCharsets.US_ASCII)))
        .setItems(List.of(LineItem.newBuilder().setSku("SKU-" + version).setQuantity(1).setUnitPrice(new BigDecimal("10.00")).build()))
        .setTags(Map.of("v", Long.toString(version)))
        .setCreatedAt(createdAt)
        .build();
  }

  /** Single-object encoded, event time = the given instant. */
  static BridgeMessage message(OrderEvent order, String messageId, Instant eventTime) {
    try {
      ByteBuffer payload = order.toByteBuffer();
      byte[] bytes = new byte[payload.remaining()];
      payload.get(bytes);
      return SinkTestSupport.message(bytes, messageId, eventTime);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private Orders() {}
}
