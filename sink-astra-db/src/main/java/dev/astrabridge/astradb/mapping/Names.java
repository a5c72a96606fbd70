package dev.astrabridge.astradb.mapping;

import org.apache.avro.Schema;

/** Name matching between CQL and Avro: exact first, then ignoring case and underscores (snake_case ~ camelCase). */
public final class Names {
  public static String normalize(String name) {
    return name.replace("_", "").toLowerCase(java.util.Locale.ROOT);
  }

  /** Whether a CQL name (internal form) and an Avro field name name the same thing. */
  public static boolean same(String cql, String avro) {
    return cql.equals(avro) || normalize(cql).equals(normalize(avro));
  }

  /** The field of a record named {@code name}, exactly or tolerantly; null if none. */
  static Schema.Field field(Schema record, String name) {
    Schema.Field exact = record.getField(name);
    if (exact != null) {
      return exact;
    }
    String wanted = normalize(name);
    for (Schema.Field f : record.getFields()) {
      if (normalize(f.name()).equals(wanted)) {
        return f;
      }
    }
    return null;
  }

  private Names() {}
}
