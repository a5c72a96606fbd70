package dev.astrabridge.bridge.pulsar;

import dev.astrabridge.astradb.connect.SharedPerJvm;
import org.apache.pulsar.client.api.Producer;

/**
 * Producers per worker JVM, topic and name, shared by every DoFn instance (producers are thread-safe) and closed
 * with their last user. Sharing is required with effectively-once: the broker refuses a second producer of the same
 * name, and two DoFn instances of one JVM may see the same shard over time.
 */
final class PulsarProducers {
  static final SharedPerJvm<Producer<byte[]>> PRODUCERS = new SharedPerJvm<>(Producer::closeAsync, 0);

  private PulsarProducers() {}
}
