package dev.astrabridge.astradb.connect;

import com.datastax.oss.driver.api.core.CqlSession;
import java.io.Serializable;

/**
 * Opens a {@link CqlSession} for a connection. Injectable (AstraDbIO.write().withSessionFactory) so tests can reach
 * failure paths; {@link DefaultSessionFactory} builds the real session.
 */
@FunctionalInterface
public interface SessionFactory extends Serializable {
  CqlSession open(AstraDbConnection connection);
}
