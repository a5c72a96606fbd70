package dev.astrabridge.bridge.pulsar;

import dev.astrabridge.schemas.envelope.BridgeMessage;

/**
 * Source positions for effectively-once writes: the shard is the source partition topic, the sequence id packs the
 * source message id (ledger, entry, batch index) into one increasing long:
 * {@code ledgerId << 32 | entryId << 12 | batchIndex}. That holds while ledger ids stay below 2^31, a ledger holds
 * fewer than 2^20 entries (Pulsar's managedLedgerMaxEntriesPerLedger defaults to 50,000) and a batch fewer than 4,096
 * messages — ids outside those bounds are refused rather than packed wrongly.
 */
public final class PulsarPositions {
  public static final String SOURCE_PREFIX = "pulsar:";

  /** The shard: the one a sequencer assigned, else the source partition topic of a message read from Pulsar, or null. */
  public static String shard(BridgeMessage message) {
    if (message.getShard() != null && message.getSequenceId() != null) {
      return message.getShard();
    }
    String source = message.getSource();
    return source != null && source.startsWith(SOURCE_PREFIX) ? source.substring(SOURCE_PREFIX.length()) : null;
  }

  /** The sequence a sequencer assigned, else the packed sequence id of a message read from Pulsar (message id "ledger:entry:partition:batch"). */
  public static long sequence(BridgeMessage message) {
    if (message.getShard() != null && message.getSequenceId() != null) {
      return message.getSequenceId();
    }
    String id = message.getMessageId();
    String[] parts = id == null ? new String[0] : id.split(":");
    if (shard(message) == null || parts.length != 4) {
      throw new IllegalArgumentException("message " + id + " from " + message.getSource()
          + " has no Pulsar source position, so it cannot be written effectively-once");
    }
    return pack(Long.parseLong(parts[0]), Long.parseLong(parts[1]), Integer.parseInt(parts[3]));
  }

  static long pack(long ledgerId, long entryId, int batchIndex) {
    int batch = Math.max(batchIndex, 0);
    if (ledgerId < 0 || ledgerId >= (1L << 31) || entryId < 0 || entryId >= (1L << 20) || batch >= (1 << 12)) {
      throw new IllegalArgumentException("position " + ledgerId + ":" + entryId + ":" + batchIndex
          + " cannot be packed into a sequence id (ledger < 2^31, entry < 2^20, batch index < 4096)");
    }
    return ledgerId << 32 | entryId << 12 | batch;
  }

  private PulsarPositions() {}
}
