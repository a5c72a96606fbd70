package dev.astrabridge.schemas.envelope;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;

/** Builds {@link DeadLetter} records: the original message untouched, the stage and a one-line reason. */
public final class DeadLetters {
  /** Stages a message can fail in. */
  public static final String DECODE = "decode";
  public static final String MAP = "map";
  public static final String WRITE = "write";
  public static final String LATE = "late";
  public static final String RELAY = "relay";

  private static final int MAX_STACK_CHARS = 4000;

  public static DeadLetter of(BridgeMessage message, String stage, String error) {
    return builder(message, stage, error).build();
  }

  public static DeadLetter of(BridgeMessage message, String stage, String error, Throwable cause) {
    return builder(message, stage, error).setStackTrace(cause == null ? null : stackTrace(cause)).build();
  }

  public static DeadLetter.Builder builder(BridgeMessage message, String stage, String error) {
    return DeadLetter.newBuilder()
        .setMessage(message)
        .setStage(stage)
        .setError(error == null ? "(no message)" : error)
        .setStackTrace(null)
        .setTarget(null)
        .setMappingEntry(null)
        .setRecordJson(null)
        .setAttempts(0)
        .setFailedAt(Instant.now());
  }

  /** A throwable's class and message, and its causes' — one line. */
  public static String describe(Throwable error) {
    StringBuilder out = new StringBuilder();
    for (Throwable t = error; t != null && out.length() < 1000; t = t.getCause() == t ? null : t.getCause()) {
      if (out.length() > 0) {
        out.append(" <- ");
      }
      out.append(t.getClass().getSimpleName());
      if (t.getMessage() != null) {
        out.append(": ").append(t.getMessage().replace('\n', ' '));
      }
    }
    return out.toString();
  }

  static String stackTrace(Throwable cause) {
    StringWriter out = new StringWriter();
    cause.printStackTrace(new PrintWriter(out));
    String text = out.toString();
    return text.length() <= MAX_STACK_CHARS ? text : text.substring(0, MAX_STACK_CHARS) + "\n\t...";
  }

  private DeadLetters() {}
}
