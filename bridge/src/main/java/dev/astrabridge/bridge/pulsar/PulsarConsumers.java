package dev.astrabridge.bridge.pulsar;

import dev.astrabridge.astradb.connect.SharedPerJvm;
import org.apache.pulsar.client.api.Consumer;

/**
 * Consumers per worker JVM and split, kept open for {@value #LINGER_SECONDS} s after their reader closes.
 *
 * <p>Runners close and recreate readers (the DirectRunner at random, Flink on rescaling) and may finalize a
 * checkpoint mark after its reader was closed. Closing the consumer with the reader would make those late
 * acknowledgements fail and the broker redeliver everything in flight. A lingering consumer still acknowledges late
 * finalizations, and a recreated reader of the same split picks it up again, with its receive queue intact.
 */
final class PulsarConsumers {
  static final long LINGER_SECONDS = 60;

  /** A consumer and the client lease it was opened with (released with it). */
  record Handle(Consumer<byte[]> consumer, SharedPerJvm<org.apache.pulsar.client.api.PulsarClient>.Lease client) {}

  static final SharedPerJvm<Handle> CONSUMERS = new SharedPerJvm<>(
      h -> h.consumer().closeAsync().whenComplete((v, e) -> h.client().close()), LINGER_SECONDS * 1000);

  /** Closes every consumer at once (tests simulate a crashed worker with it). */
  static void closeAll() {
    CONSUMERS.closeAll();
  }

  private PulsarConsumers() {}
}
