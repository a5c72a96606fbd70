package dev.astrabridge.astradb.connect;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Expensive clients shared by every DoFn instance of a worker JVM (driver sessions, Pulsar clients, producers,
 * consumers): opened by the first user of a key, reference-counted, and closed when the last user releases it —
 * at once, or after a linger during which a new user takes it over as it is.
 *
 * @param <T> what is shared
 */
public final class SharedPerJvm<T> {
  private static final ScheduledExecutorService LINGER = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "astra-bridge-linger");
    t.setDaemon(true);
    return t;
  });

  /** Opens the shared value. */
  @FunctionalInterface
  public interface Opener<T, E extends Exception> {
    T open() throws E;
  }

  private final class Entry {
    final T value;
    int references;
    ScheduledFuture<?> pendingClose;

    Entry(T value) {
      this.value = value;
    }
  }

  /** One user's reference; {@link #close()} releases it (once). */
  public final class Lease implements AutoCloseable {
    private final String key;
    private final T value;
    private boolean closed;

    private Lease(String key, T value) {
      this.key = key;
      this.value = value;
    }

    public T get() {
      return value;
    }

    @Override
    public void close() {
      synchronized (entries) {
        if (!closed) {
          closed = true;
          release(key);
        }
      }
    }
  }

  private final Map<String, Entry> entries = new HashMap<>();
  private final Consumer<T> closer;
  private final long lingerMillis;

  /** Closes with {@code closer} when the last user releases (after {@code lingerMillis}, 0: at once). */
  public SharedPerJvm(Consumer<T> closer, long lingerMillis) {
    this.closer = closer;
    this.lingerMillis = lingerMillis;
  }

  /** The value of {@code key}, opened with {@code opener} if nobody holds it (a lingering one is taken over). */
  public <E extends Exception> Lease acquire(String key, Opener<T, E> opener) throws E {
    synchronized (entries) {
      Entry entry = entries.get(key);
      if (entry == null) {
        entry = new Entry(opener.open());
        entries.put(key, entry);
      } else if (entry.pendingClose != null) {
        entry.pendingClose.cancel(false);
        entry.pendingClose = null;
      }
      entry.references++;
      return new Lease(key, entry.value);
    }
  }

  private void release(String key) {
    Entry entry = entries.get(key);
    if (entry == null || --entry.references > 0) {
      return;
    }
    if (lingerMillis <= 0) {
      closeNow(key, entry);
      return;
    }
    entry.pendingClose = LINGER.schedule(() -> {
      synchronized (entries) {
        if (entries.get(key) == entry && entry.references == 0) {
          closeNow(key, entry);
        }
      }
    }, lingerMillis, TimeUnit.MILLISECONDS);
  }

  private void closeNow(String key, Entry entry) {
    entries.remove(key);
    if (entry.pendingClose != null) {
      entry.pendingClose.cancel(false);
    }
    closer.accept(entry.value);
  }

  /** Closes everything at once, held or not (tests simulate a crashed worker with it). */
  public void closeAll() {
    synchronized (entries) {
      for (Map.Entry<String, Entry> e : Map.copyOf(entries).entrySet()) {
        closeNow(e.getKey(), e.getValue());
      }
    }
  }

  /** How many values are open (held or lingering). */
  public int size() {
    synchronized (entries) {
      return entries.size();
    }
  }
}
