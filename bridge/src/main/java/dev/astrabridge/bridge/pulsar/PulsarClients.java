package dev.astrabridge.bridge.pulsar;

import dev.astrabridge.astradb.connect.SharedPerJvm;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.PulsarClientException;

/**
 * One {@link PulsarClient} per worker JVM and connection (its IO threads and connection pool are shared by every
 * reader and writer), closed when the last user releases it.
 */
final class PulsarClients {
  private static final SharedPerJvm<PulsarClient> CLIENTS = new SharedPerJvm<>(PulsarClient::closeAsync, 0);

  static SharedPerJvm<PulsarClient>.Lease acquire(PulsarConnection connection) throws PulsarClientException {
    return CLIENTS.acquire(connection.key(), connection::newClient);
  }

  private PulsarClients() {}
}
