package dev.astrabridge.bridge.pulsar;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.PulsarClientException;

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

  private static final Map<String, Entry> CONSUMERS = new HashMap<>();
  private static final ScheduledExecutorService CLOSER = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "pulsar-consumer-linger");
    t.setDaemon(true);
    return t;
  });

  /** Opens a consumer. */
  interface Opener {
    Consumer<byte[]> open() throws PulsarClientException;
  }

  private static final class Entry {
    final Consumer<byte[]> consumer;
    final PulsarClients.Lease client;
    int references;
    ScheduledFuture<?> pendingClose;

    Entry(Consumer<byte[]> consumer, PulsarClients.Lease client) {
      this.consumer = consumer;
      this.client = client;
    }
  }

  static Consumer<byte[]> acquire(String key, PulsarClients.Lease client, Opener opener) throws PulsarClientException {
    synchronized (CONSUMERS) {
      Entry entry = CONSUMERS.get(key);
      if (entry != null) {
        if (entry.pendingClose != null) {
          entry.pendingClose.cancel(false);
          entry.pendingClose = null;
        }
        entry.references++;
        client.close(); // the entry holds its own client lease
        return entry.consumer;
      }
      Entry created = new Entry(opener.open(), client);
      created.references = 1;
      CONSUMERS.put(key, created);
      return created.consumer;
    }
  }

  static void release(String key) {
    synchronized (CONSUMERS) {
      Entry entry = CONSUMERS.get(key);
      if (entry == null || --entry.references > 0) {
        return;
      }
      entry.pendingClose = CLOSER.schedule(() -> {
        synchronized (CONSUMERS) {
          if (CONSUMERS.get(key) == entry && entry.references == 0) {
            closeNow(key, entry);
          }
        }
      }, LINGER_SECONDS, TimeUnit.SECONDS);
    }
  }

  /** Closes a consumer at once (tests simulate a crashed worker with it). */
  static void closeAll() {
    synchronized (CONSUMERS) {
      for (Map.Entry<String, Entry> e : Map.copyOf(CONSUMERS).entrySet()) {
        closeNow(e.getKey(), e.getValue());
      }
    }
  }

  private static void closeNow(String key, Entry entry) {
    CONSUMERS.remove(key);
    if (entry.pendingClose != null) {
      entry.pendingClose.cancel(false);
    }
    entry.consumer.closeAsync().whenComplete((v, e) -> entry.client.close());
  }

  private PulsarConsumers() {}
}
