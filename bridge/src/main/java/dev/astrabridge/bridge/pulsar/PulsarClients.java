package dev.astrabridge.bridge.pulsar;

import java.util.HashMap;
import java.util.Map;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.PulsarClientException;

/**
 * One {@link PulsarClient} per worker JVM and connection (its IO threads and connection pool are shared by every
 * reader and writer), closed when the last user releases it.
 */
final class PulsarClients {
  private static final Map<String, Entry> CLIENTS = new HashMap<>();

  private static final class Entry {
    final PulsarClient client;
    int references;

    Entry(PulsarClient client) {
      this.client = client;
    }
  }

  /** A reference to a shared client; {@link #close()} releases it. */
  static final class Lease implements AutoCloseable {
    private final String key;
    private final PulsarClient client;
    private boolean closed;

    private Lease(String key, PulsarClient client) {
      this.key = key;
      this.client = client;
    }

    PulsarClient client() {
      return client;
    }

    @Override
    public void close() {
      synchronized (CLIENTS) {
        if (closed) {
          return;
        }
        closed = true;
        Entry entry = CLIENTS.get(key);
        if (entry != null && --entry.references == 0) {
          CLIENTS.remove(key);
          entry.client.closeAsync();
        }
      }
    }
  }

  static Lease acquire(PulsarConnection connection) throws PulsarClientException {
    synchronized (CLIENTS) {
      Entry entry = CLIENTS.get(connection.key());
      if (entry == null || entry.client.isClosed()) {
        entry = new Entry(connection.newClient());
        CLIENTS.put(connection.key(), entry);
      }
      entry.references++;
      return new Lease(connection.key(), entry.client);
    }
  }

  private PulsarClients() {}
}
