package dev.astrabridge.bridge.ingest;

import dev.astrabridge.bridge.metrics.StageMeters;
import dev.astrabridge.astradb.decode.DecodeException;
import dev.astrabridge.astradb.decode.PayloadDecoder;
import dev.astrabridge.astradb.decode.PayloadFormat;
import dev.astrabridge.bridge.options.Settings;
import dev.astrabridge.schemas.envelope.BridgeMessage;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;

/**
 * Keys each message by its deduplication id: message id, key, an attribute, or a record field. A message without
 * an id is keyed by its message id (it cannot be matched with others; counted as dedup_without_id).
 */
public final class DedupKeys extends DoFn<BridgeMessage, KV<String, BridgeMessage>> {
  private final Settings.DedupBy by;
  private final String name;
  private final PayloadFormat format;
  private final StageMeters.Count withoutId;
  private transient PayloadDecoder decoder;

  public DedupKeys(Settings.DedupBy by, String name, PayloadFormat format, StageMeters meters) {
    this.withoutId = meters.counter("dedup_without_id");
    this.by = by;
    this.name = name;
    this.format = format;
  }

  @Setup
  public void setup() {
    decoder = format.newDecoder();
  }

  @ProcessElement
  public void process(@Element BridgeMessage m, OutputReceiver<KV<String, BridgeMessage>> out) {
    String id = id(m);
    if (id == null) {
      withoutId.inc();
      id = "no-id:" + java.util.UUID.randomUUID(); // unique: never matched with another message
    }
    out.output(KV.of(id, m));
  }

  private String id(BridgeMessage m) {
    switch (by) {
      case MESSAGE_ID:
        return m.getMessageId();
      case KEY:
        return m.getKey();
      case ATTRIBUTE:
        return m.getAttributes() == null ? null : m.getAttributes().get(name);
      case FIELD:
        try {
          byte[] payload = new byte[m.getPayload().remaining()];
          m.getPayload().duplicate().get(payload);
          Object value = RecordPaths.get(decoder.decode(payload, m.getAttributes()), name);
          return value == null ? null : value.toString();
        } catch (DecodeException e) {
          return null; // undecodable: the write dead-letters it at stage decode
        }
      default:
        return null;
    }
  }

  /**
   * Scopes ids to their fixed event-time window (windows of {@code size} from the epoch, as {@code FixedWindows.of}
   * assigns them): the same id in another window is another event.
   */
  public static final class InFixedWindow extends DoFn<KV<String, BridgeMessage>, KV<String, BridgeMessage>> {
    private final long sizeMillis;

    public InFixedWindow(org.joda.time.Duration size) {
      this.sizeMillis = size.getMillis();
    }

    @ProcessElement
    public void process(@Element KV<String, BridgeMessage> element, @Timestamp org.joda.time.Instant timestamp,
                        OutputReceiver<KV<String, BridgeMessage>> out) {
      long start = timestamp.getMillis() - Math.floorMod(timestamp.getMillis(), sizeMillis);
      out.output(KV.of(start + "/" + element.getKey(), element.getValue()));
    }
  }
}
