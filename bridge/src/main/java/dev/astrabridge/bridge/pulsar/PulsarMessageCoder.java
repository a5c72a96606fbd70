package dev.astrabridge.bridge.pulsar;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;

/** Compact, deterministic coder of {@link PulsarMessage} (varints, properties in key order). */
public final class PulsarMessageCoder extends CustomCoder<PulsarMessage> {
  private static final long serialVersionUID = 1L;
  private static final PulsarMessageCoder INSTANCE = new PulsarMessageCoder();
  private static final StringUtf8Coder STRING = StringUtf8Coder.of();
  private static final ByteArrayCoder BYTES = ByteArrayCoder.of();
  private static final VarLongCoder LONG = VarLongCoder.of();
  private static final VarIntCoder INT = VarIntCoder.of();

  public static PulsarMessageCoder of() {
    return INSTANCE;
  }

  @Override
  public void encode(PulsarMessage m, OutputStream out) throws IOException {
    STRING.encode(m.topic(), out);
    INT.encode(m.partition(), out);
    BYTES.encode(m.messageId(), out);
    LONG.encode(m.ledgerId(), out);
    LONG.encode(m.entryId(), out);
    INT.encode(m.batchIndex(), out);
    int flags = (m.key() != null ? 1 : 0) | (m.orderingKey() != null ? 2 : 0) | (m.producerName() != null ? 4 : 0);
    out.write(flags);
    if (m.key() != null) {
      STRING.encode(m.key(), out);
    }
    if (m.orderingKey() != null) {
      BYTES.encode(m.orderingKey(), out);
    }
    if (m.producerName() != null) {
      STRING.encode(m.producerName(), out);
    }
    INT.encode(m.properties().size(), out);
    for (Map.Entry<String, String> e : new TreeMap<>(m.properties()).entrySet()) { // key order: deterministic
      STRING.encode(e.getKey(), out);
      STRING.encode(e.getValue(), out);
    }
    LONG.encode(m.eventTime(), out);
    LONG.encode(m.publishTime(), out);
    LONG.encode(m.sequenceId(), out);
    INT.encode(m.redeliveryCount(), out);
    BYTES.encode(m.value(), out);
    LONG.encode(m.schemaVersion(), out);
  }

  @Override
  public PulsarMessage decode(InputStream in) throws IOException {
    String topic = STRING.decode(in);
    int partition = INT.decode(in);
    byte[] messageId = BYTES.decode(in);
    long ledgerId = LONG.decode(in);
    long entryId = LONG.decode(in);
    int batchIndex = INT.decode(in);
    int flags = in.read();
    if (flags < 0) {
      throw new CoderException("truncated PulsarMessage");
    }
    String key = (flags & 1) != 0 ? STRING.decode(in) : null;
    byte[] orderingKey = (flags & 2) != 0 ? BYTES.decode(in) : null;
    String producerName = (flags & 4) != 0 ? STRING.decode(in) : null;
    int count = INT.decode(in);
    Map<String, String> properties = new TreeMap<>();
    for (int i = 0; i < count; i++) {
      properties.put(STRING.decode(in), STRING.decode(in));
    }
    return new PulsarMessage(topic, partition, messageId, ledgerId, entryId, batchIndex, key, orderingKey, properties,
        LONG.decode(in), LONG.decode(in), producerName, LONG.decode(in), INT.decode(in), BYTES.decode(in),
        LONG.decode(in));
  }

  @Override
  public void verifyDeterministic() {}

  @Override
  public boolean consistentWithEquals() {
    return true;
  }

  @Override
  public List<? extends org.apache.beam.sdk.coders.Coder<?>> getCoderArguments() {
    return List.of();
  }
}
