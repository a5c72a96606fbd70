package dev.astrabridge.bridge.pulsar;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.BooleanCoder;
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
 * <p>Failover and Exclusive splits read one ordered partition each: the mark keeps only the last message id per
 * topic and acknowledges cumulatively (a few bytes per checkpoint). Shared and Key_Shared deliver out of order: the
 * mark keeps every id, grouped by topic, and acknowledges them individually. Encoded as (topic, ids) groups, so a
 * mark restored in another process can still be acknowledged.
 */
public final class PulsarCheckpointMark implements UnboundedSource.CheckpointMark {
  private final boolean cumulative;
  private final Map<String, List<byte[]>> idsByTopic;
  private final transient List<MessageId> ids;
  private final transient Consumer<byte[]> consumer;

  PulsarCheckpointMark(boolean cumulative, Map<String, List<byte[]>> idsByTopic, List<MessageId> ids,
                       Consumer<byte[]> consumer) {
    this.cumulative = cumulative;
    this.idsByTopic = idsByTopic;
    this.ids = ids;
    this.consumer = consumer;
  }

  boolean cumulative() {
    return cumulative;
  }

  Map<String, List<byte[]>> idsByTopic() {
    return idsByTopic;
  }

  /** The ids of a restored mark, bound to their topics. */
  List<MessageId> restoredIds() {
    List<MessageId> out = new ArrayList<>();
    idsByTopic.forEach((topic, list) -> list.forEach(bytes -> {
      try {
        out.add(MessageId.fromByteArrayWithTopic(bytes, topic));
      } catch (IOException e) {
        throw new IllegalStateException("a checkpointed message id of " + topic + " cannot be read", e);
      }
    }));
    return out;
  }

  @Override
  public void finalizeCheckpoint() {
    if (consumer != null && ids != null) {
      // the consumer lingers after its reader closes (PulsarConsumers), so a late finalization still acknowledges
      acknowledge(consumer, cumulative, ids);
    }
    // A mark restored from a checkpoint has no consumer here: the reader created from it acknowledges its messages
    // when it starts (their output was committed with that checkpoint).
  }

  static void acknowledge(Consumer<byte[]> consumer, boolean cumulative, List<MessageId> ids) {
    if (ids.isEmpty()) {
      return;
    }
    if (cumulative) {
      for (MessageId id : ids) {
        consumer.acknowledgeCumulativeAsync(id);
      }
    } else {
      consumer.acknowledgeAsync(ids);
    }
  }

  /** Coder of marks. */
  public static final class Coder extends CustomCoder<PulsarCheckpointMark> {
    private static final long serialVersionUID = 1L;

    @Override
    public void encode(PulsarCheckpointMark mark, OutputStream out) throws IOException {
      BooleanCoder.of().encode(mark.cumulative, out);
      VarIntCoder.of().encode(mark.idsByTopic.size(), out);
      for (Map.Entry<String, List<byte[]>> e : mark.idsByTopic.entrySet()) {
        StringUtf8Coder.of().encode(e.getKey(), out);
        VarIntCoder.of().encode(e.getValue().size(), out);
        for (byte[] id : e.getValue()) {
          ByteArrayCoder.of().encode(id, out);
        }
      }
    }

    @Override
    public PulsarCheckpointMark decode(InputStream in) throws IOException {
      boolean cumulative = BooleanCoder.of().decode(in);
      int topics = VarIntCoder.of().decode(in);
      Map<String, List<byte[]>> idsByTopic = new LinkedHashMap<>();
      for (int t = 0; t < topics; t++) {
        String topic = StringUtf8Coder.of().decode(in);
        int n = VarIntCoder.of().decode(in);
        List<byte[]> ids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          ids.add(ByteArrayCoder.of().decode(in));
        }
        idsByTopic.put(topic, ids);
      }
      return new PulsarCheckpointMark(cumulative, idsByTopic, null, null);
    }
  }
}
