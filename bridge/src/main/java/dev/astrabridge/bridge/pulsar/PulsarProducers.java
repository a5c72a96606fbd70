package dev.astrabridge.bridge.pulsar;

import java.util.HashMap;
import java.util.Map;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClientException;

/**
 * Producers per worker JVM, topic and name, shared by every DoFn instance (producers are thread-safe) and closed
 * with their last user. Sharing is required with effectively-once: the broker refuses a second producer of the same
 * name, and two DoFn instances of one JVM may see the same shard over time.
 */
final class PulsarProducers {
  private static final Map<String, Entry> PRODUCERS = new HashMap<>();

  interface Opener {
    Producer<byte[]> open() throws PulsarClientException;
  }

  private static final class Entry {
    final Producer<byte[]> producer;
    int references;

    Entry(Producer<byte[]> producer) {
      this.producer = producer;
    }
  }

  static Producer<byte[]> acquire(String key, Opener opener) throws PulsarClientException {
    synchronized (PRODUCERS) {
      Entry entry = PRODUCERS.get(key);
      if (entry == null) {
        entry = new Entry(opener.open());
        PRODUCERS.put(key, entry);
      }
      entry.references++;
      return entry.producer;
    }
  }

  static void release(String key) {
    synchronized (PRODUCERS) {
      Entry entry = PRODUCERS.get(key);
      if (entry != null && --entry.references == 0) {
        PRODUCERS.remove(key);
        entry.producer.closeAsync();
      }
    }
  }

  private PulsarProducers() {}
}
