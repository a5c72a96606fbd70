package dev.astrabridge.astradb.write;

/**
 * What happens to rows whose write still fails after retries (driver failures: timeouts, unavailable nodes,
 * overload). Records that cannot be decoded or mapped are never retried: they always go to the dead-letter output.
 */
public enum FailurePolicy {
  /** The rows go to the dead-letter output with the reason and the number of attempts; the pipeline goes on. */
  DEAD_LETTER,
  /** The bundle fails, so the runner retries it (safe: every write is idempotent); nothing is dead-lettered. */
  FAIL_BUNDLE
}
