package dev.astrabridge.bridge.secrets;

import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.InstantiatingGrpcChannelProvider;
import com.google.api.gax.rpc.ApiException;
import com.google.cloud.secretmanager.v1.AccessSecretVersionResponse;
import com.google.cloud.secretmanager.v1.SecretManagerServiceClient;
import com.google.cloud.secretmanager.v1.SecretManagerServiceSettings;
import com.google.cloud.secretmanager.v1.SecretVersionName;
import dev.astrabridge.astradb.connect.SecretResolver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.zip.CRC32C;

/**
 * Resolves {@code projects/P/secrets/S/versions/V} with Google's Secret Manager client, on the worker that needs the
 * secret (found by {@link java.util.ServiceLoader} from SecretRef). One client per JVM, with the worker's default
 * credentials (on Dataflow: the job's service account, which needs roles/secretmanager.secretAccessor on the secret).
 * The payload's CRC32C is checked. Values are never logged or put into exceptions; errors name the reference only.
 *
 * <p>{@code ASTRA_BRIDGE_SECRET_MANAGER_ENDPOINT} (environment) or {@code astra-bridge.secret-manager.endpoint}
 * (system property), as {@code host:port}, points it at another endpoint without TLS or credentials — the gRPC fake
 * in the tests; never set it in production.
 */
public final class GoogleSecretManagerResolver implements SecretResolver {
  static final String ENDPOINT_PROPERTY = "astra-bridge.secret-manager.endpoint";
  static final String ENDPOINT_ENV = "ASTRA_BRIDGE_SECRET_MANAGER_ENDPOINT";

  private static SecretManagerServiceClient client;
  private static String clientEndpoint;

  @Override
  public boolean supports(String reference) {
    return SecretVersionName.isParsableFrom(reference);
  }

  @Override
  public byte[] resolve(String reference) {
    SecretVersionName name = SecretVersionName.parse(reference);
    AccessSecretVersionResponse response;
    try {
      response = client().accessSecretVersion(name);
    } catch (ApiException e) {
      throw new IllegalStateException("secret " + reference + ": Secret Manager refused access ("
          + e.getStatusCode().getCode() + "); the worker's service account needs roles/secretmanager.secretAccessor", null);
    }
    byte[] data = response.getPayload().getData().toByteArray();
    if (response.getPayload().hasDataCrc32C()) {
      CRC32C crc = new CRC32C();
      crc.update(data);
      if (crc.getValue() != response.getPayload().getDataCrc32C()) {
        throw new IllegalStateException("secret " + reference + ": the payload's CRC32C does not match (corrupted in transit)");
      }
    }
    return data;
  }

  static synchronized SecretManagerServiceClient client() {
    String endpoint = System.getProperty(ENDPOINT_PROPERTY, System.getenv(ENDPOINT_ENV));
    if (client != null && java.util.Objects.equals(endpoint, clientEndpoint)) {
      return client;
    }
    try {
      SecretManagerServiceSettings.Builder settings = SecretManagerServiceSettings.newBuilder();
      if (endpoint != null && !endpoint.isBlank()) {
        settings.setEndpoint(endpoint).setCredentialsProvider(NoCredentialsProvider.create())
            .setTransportChannelProvider(InstantiatingGrpcChannelProvider.newBuilder().setEndpoint(endpoint)
                .setChannelConfigurator(b -> b.usePlaintext()).build());
      }
      if (client != null) {
        client.close();
      }
      client = SecretManagerServiceClient.create(settings.build());
      clientEndpoint = endpoint;
      return client;
    } catch (IOException e) {
      throw new UncheckedIOException("Secret Manager: cannot create the client (" + e.getClass().getSimpleName() + ")", e);
    }
  }
}
