package dev.astrabridge.bridge.batch;

import java.util.Locale;

/** The file formats load reads and export writes. */
public enum FileFormat {
  /** Avro container files: records resolved from the file's writer schema to the job's schema. */
  AVRO(".avro"),
  /** One JSON object per line (plain JSON, see {@link RecordText}). */
  JSONL(".jsonl"),
  /** RFC 4180 CSV with a header row naming the fields; an empty cell is null, complex values are JSON. */
  CSV(".csv");

  public final String suffix;

  FileFormat(String suffix) {
    this.suffix = suffix;
  }

  /** The format an option names ("avro", "jsonl"/"json", "csv"), or the one a path's extension implies. */
  public static FileFormat of(String option, String path) {
    String name = option != null && !option.isBlank() ? option : extension(path);
    switch (name.toLowerCase(Locale.ROOT)) {
      case "avro":
        return AVRO;
      case "jsonl":
      case "json":
      case "ndjson":
        return JSONL;
      case "csv":
        return CSV;
      default:
        throw new IllegalArgumentException("--fileFormat=" + name + ": valid: avro, jsonl, csv (or leave it out and"
            + " name files *.avro, *.jsonl, *.csv)");
    }
  }

  private static String extension(String path) {
    String p = path == null ? "" : path.replaceAll("\\.(gz|bz2|zst|deflate)$", "");
    int dot = p.lastIndexOf('.');
    return dot < 0 || p.indexOf('*', dot) >= 0 ? "(none)" : p.substring(dot + 1);
  }
}
