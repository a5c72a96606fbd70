package dev.astrabridge.astradb.connect;

import com.datastax.oss.driver.api.core.CqlSession;
import java.util.HashMap;
import java.util.Map;

/**
 * One {@link CqlSession} per worker JVM and connection, shared by every DoFn instance that uses it, and closed when
 * the last of them releases it (DoFn teardown). A session is expensive (connection pools, metadata, schema), so
 * opening one per DoFn instance or per bundle would be wasteful and slow.
 */
public final class SessionCache {
  private static final Map<String, Entry> SESSIONS = new HashMap<>();

  private static final class Entry {
    final CqlSession session;
    int references;

    Entry(CqlSession session) {
      this.session = session;
    }
  }

  /** A reference to a shared session; {@link #close()} releases it. */
  public static final class Lease implements AutoCloseable {
    private final String key;
    private final CqlSession session;
    private boolean closed;

    private Lease(String key, CqlSession session) {
      this.key = key;
      this.session = session;
    }

    public CqlSession session() {
      return session;
    }

    @Override
    public void close() {
      synchronized (SESSIONS) {
        if (closed) {
          return;
        }
        closed = true;
        Entry entry = SESSIONS.get(key);
        if (entry != null && --entry.references == 0) {
          SESSIONS.remove(key);
          entry.session.close();
        }
      }
    }
  }

  public static Lease acquire(AstraDbConnection connection, SessionFactory factory) {
    String key = connection.sessionKey() + "|" + factory.getClass().getName();
    synchronized (SESSIONS) {
      Entry entry = SESSIONS.get(key);
      if (entry == null || entry.session.isClosed()) {
        entry = new Entry(factory.open(connection));
        SESSIONS.put(key, entry);
      }
      entry.references++;
      return new Lease(key, entry.session);
    }
  }

  /** Number of open shared sessions (tests). */
  public static int openSessions() {
    synchronized (SESSIONS) {
      return SESSIONS.size();
    }
  }

  private SessionCache() {}
}
