package dev.astrabridge.astradb.mapping;

/** One record that cannot be mapped to a row (never retried: it goes to the dead-letter output). */
public final class RecordMappingException extends Exception {
  private static final long serialVersionUID = 1L;
  private final String entry;

  RecordMappingException(String entry, String message) {
    super(message);
    this.entry = entry;
  }

  /** The mapping entry that failed, or null when the failure concerns the whole row. */
  public String entry() {
    return entry;
  }
}
