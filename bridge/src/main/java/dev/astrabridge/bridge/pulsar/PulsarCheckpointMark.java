package dev.astrabridge.bridge.pulsar;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.MessageId;

/**
 * The messages a reader emitted since its previous checkpoint. The runner calls {@link #finalizeCheckpoint()} once
 * the output up to this checkpoint is durably committed; only then are the messages acknowledged. A reader that
 * dies before that leaves them unacknowledged, so the broker redelivers them to the subscription.
 *
 * <p>Encoded as (topic, message id bytes) pairs, so a mark restored in another process can still be acknowledged.
 */
public final class PulsarCheckpointMark implements UnboundedSource.CheckpointMark {
  /** One emitted message: its topic (the partition topic) and its serialized id. */
  public record Emitted(String topic, byte[] messageId) {}

  private final List<Emitted> emitted;
  private final transient List<MessageId> ids;
  private final transient Consumer<byte[]> consumer;

  PulsarCheckpointMark(List<Emitted> emitted, List<MessageId> ids, Consumer<byte[]> consumer) {
    this.emitted = emitted;
    this.ids = ids;
    this.consumer = consumer;
  }

  public List<Emitted> emitted() {
    return emitted;
  }

  @Override
  public void finalizeCheckpoint() {
    if (consumer != null && !ids.isEmpty()) {
      // the consumer lingers after its reader closes (PulsarConsumers), so a late finalization still acknowledges
      consumer.acknowledgeAsync(ids);
    }
    // A mark restored from a checkpoint has no reader here: the reader created from it acknowledges its messages
    // when it starts (their output was committed with that checkpoint).
  }

  /** Coder of marks. */
  public static final class Coder extends CustomCoder<PulsarCheckpointMark> {
    private static final long serialVersionUID = 1L;

    @Override
    public void encode(PulsarCheckpointMark mark, OutputStream out) throws IOException {
      VarIntCoder.of().encode(mark.emitted.size(), out);
      for (Emitted e : mark.emitted) {
        StringUtf8Coder.of().encode(e.topic(), out);
        ByteArrayCoder.of().encode(e.messageId(), out);
      }
    }

    @Override
    public PulsarCheckpointMark decode(InputStream in) throws IOException {
      int n = VarIntCoder.of().decode(in);
      List<Emitted> emitted = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        emitted.add(new Emitted(StringUtf8Coder.of().decode(in), ByteArrayCoder.of().decode(in)));
      }
      return new PulsarCheckpointMark(emitted, null, null);
    }
  }
}
