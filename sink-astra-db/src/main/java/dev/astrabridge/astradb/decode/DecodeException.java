package dev.astrabridge.astradb.decode;

/** A payload that cannot be decoded; the message says why (never the payload itself). */
public final class DecodeException extends Exception {
  private static final long serialVersionUID = 1L;

  public DecodeException(String message) {
    super(message);
  }

  public DecodeException(String message, Throwable cause) {
    super(message, cause);
  }
}
