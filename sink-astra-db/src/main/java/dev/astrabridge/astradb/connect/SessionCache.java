package dev.astrabridge.astradb.connect;

import com.datastax.oss.driver.api.core.CqlSession;

/**
 * One {@link CqlSession} per worker JVM and connection, shared by every DoFn instance that uses it, and closed when
 * the last of them releases it (DoFn teardown). A session is expensive (connection pools, metadata, schema), so
 * opening one per DoFn instance or per bundle would be wasteful and slow.
 */
public final class SessionCache {
  private static final SharedPerJvm<CqlSession> SESSIONS = new SharedPerJvm<>(CqlSession::close, 0);

  public static SharedPerJvm<CqlSession>.Lease acquire(AstraDbConnection connection, SessionFactory factory) {
    return SESSIONS.acquire(connection.sessionKey() + "|" + factory.getClass().getName(), () -> factory.open(connection));
  }

  /** Number of open shared sessions (tests). */
  public static int openSessions() {
    return SESSIONS.size();
  }

  private SessionCache() {}
}
