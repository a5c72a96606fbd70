package dev.astrabridge.astradb.mapping;

import java.util.List;

/** A mapping that cannot work with the real table; lists every problem, each naming the entry, column and types. */
public final class MappingValidationException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  private final List<String> problems;

  MappingValidationException(String target, List<String> problems) {
    super("the mapping into " + target + " is invalid (" + problems.size() + " problem"
        + (problems.size() == 1 ? "" : "s") + "):\n  - " + String.join("\n  - ", problems));
    this.problems = List.copyOf(problems);
  }

  public List<String> problems() {
    return problems;
  }
}
