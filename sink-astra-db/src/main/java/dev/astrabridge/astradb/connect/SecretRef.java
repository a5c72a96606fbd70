package dev.astrabridge.astradb.connect;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Objects;
import java.util.ServiceLoader;
import org.apache.beam.sdk.io.FileSystems;

/**
 * A reference to a secret (a token, a password, a Secure Connect Bundle) that is resolved where it is used — on the
 * worker, at setup — never at pipeline construction, and whose value never appears in {@link #toString()}, display
 * data, logs or exception messages.
 *
 * <p>Forms:
 * <ul>
 *   <li>{@code file:/path} (or {@code file:relative}) — the content of a local file (trimmed for text);</li>
 *   <li>{@code env:NAME} — an environment variable (for bytes: base64);</li>
 *   <li>{@code projects/P/secrets/S/versions/V} — a secret manager resource, resolved by a {@link SecretResolver}
 *       found with {@link ServiceLoader} (the bridge ships one for Google Secret Manager);</li>
 *   <li>{@code path:<any Beam path>} — a file through Beam's FileSystems (local, gs://...), for bundles;</li>
 *   <li>anything else — the literal value (tests and local runs only; shown as {@code <literal>}).</li>
 * </ul>
 */
public final class SecretRef implements Serializable {
  private static final long serialVersionUID = 1L;

  /** How the secret is found. */
  public enum Kind { LITERAL, FILE, ENV, RESOLVER, PATH }

  private final Kind kind;
  private final String reference;

  private SecretRef(Kind kind, String reference) {
    this.kind = kind;
    this.reference = reference;
  }

  /** Parses one of the forms above. */
  public static SecretRef of(String spec) {
    Objects.requireNonNull(spec, "secret reference");
    if (spec.startsWith("file:")) {
      return new SecretRef(Kind.FILE, spec.substring("file:".length()).replaceFirst("^//", ""));
    }
    if (spec.startsWith("env:")) {
      return new SecretRef(Kind.ENV, spec.substring("env:".length()));
    }
    if (spec.startsWith("path:")) {
      return new SecretRef(Kind.PATH, spec.substring("path:".length()));
    }
    if (spec.matches("projects/[^/]+/secrets/[^/]+/versions/[^/]+")) {
      return new SecretRef(Kind.RESOLVER, spec);
    }
    return new SecretRef(Kind.LITERAL, spec);
  }

  public static SecretRef literal(String value) {
    return new SecretRef(Kind.LITERAL, Objects.requireNonNull(value));
  }

  public static SecretRef file(String path) {
    return new SecretRef(Kind.FILE, Objects.requireNonNull(path));
  }

  public Kind kind() {
    return kind;
  }

  /** The value as text (trimmed). */
  public String resolve() {
    return new String(resolveBytes(), StandardCharsets.UTF_8).trim();
  }

  /** The value as bytes. */
  public byte[] resolveBytes() {
    switch (kind) {
      case LITERAL:
        return reference.getBytes(StandardCharsets.UTF_8);
      case ENV: {
        String value = System.getenv(reference);
        if (value == null) {
          throw new IllegalStateException("secret " + describe() + ": environment variable " + reference + " is not set");
        }
        return value.getBytes(StandardCharsets.UTF_8);
      }
      case FILE:
        try {
          return java.nio.file.Files.readAllBytes(java.nio.file.Path.of(reference));
        } catch (IOException e) {
          throw new UncheckedIOException("secret " + describe() + ": cannot read the file (" + e.getClass().getSimpleName() + ")", e);
        }
      case PATH:
        return read(reference);
      case RESOLVER:
        for (SecretResolver resolver : ServiceLoader.load(SecretResolver.class, SecretRef.class.getClassLoader())) {
          if (resolver.supports(reference)) {
            return resolver.resolve(reference);
          }
        }
        throw new IllegalStateException("secret " + reference + ": no SecretResolver on the classpath supports it"
            + " (the bridge's Google Secret Manager resolver must be on the worker's classpath)");
      default:
        throw new AssertionError(kind);
    }
  }

  /** Bytes for a binary secret given in env: as base64. */
  public byte[] resolveBinary() {
    return kind == Kind.ENV ? Base64.getMimeDecoder().decode(resolveBytes()) : resolveBytes();
  }

  private byte[] read(String path) {
    try (InputStream in = Channels.newInputStream(FileSystems.open(FileSystems.matchNewResource(path, false)))) {
      return in.readAllBytes();
    } catch (IOException e) {
      // the path, never the content
      throw new UncheckedIOException("secret " + describe() + ": cannot read " + path + " (" + e.getClass().getSimpleName() + ")", e);
    }
  }

  /** What the reference points at, never the value: safe for logs and display data. */
  public String describe() {
    switch (kind) {
      case LITERAL:
        return "<literal>";
      case FILE:
        return "file:" + reference;
      case ENV:
        return "env:" + reference;
      case PATH:
        return "path:" + reference;
      default:
        return reference;
    }
  }

  /**
   * Tells references apart without revealing a value: {@link #describe()}, except that a literal is identified by a
   * SHA-256 prefix of its value (two literal tokens must never share one cached session or client).
   */
  public String identity() {
    if (kind != Kind.LITERAL) {
      return describe();
    }
    try {
      byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(reference.getBytes(StandardCharsets.UTF_8));
      return "literal:sha256:" + java.util.HexFormat.of().formatHex(digest, 0, 8);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  @Override
  public String toString() {
    return describe();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SecretRef && ((SecretRef) o).kind == kind && ((SecretRef) o).reference.equals(reference);
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, reference);
  }
}
