package dev.astrabridge.astradb.connect;

/**
 * Resolves secret-manager references ({@code projects/P/secrets/S/versions/V}) on the worker. Implementations are
 * found with {@link java.util.ServiceLoader}; they must never log or put the value into an exception.
 */
public interface SecretResolver {
  boolean supports(String reference);

  byte[] resolve(String reference);
}
