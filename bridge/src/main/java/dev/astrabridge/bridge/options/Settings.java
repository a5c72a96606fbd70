package dev.astrabridge.bridge.options;

import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import dev.astrabridge.astradb.connect.AstraDbConnection;
import dev.astrabridge.astradb.connect.SecretRef;
import dev.astrabridge.astradb.decode.PayloadFormat;
import dev.astrabridge.astradb.mapping.MappingSpec;
import dev.astrabridge.astradb.write.FailurePolicy;
import dev.astrabridge.bridge.batch.FileFormat;
import dev.astrabridge.bridge.mirror.MirrorRoute;
import dev.astrabridge.bridge.pubsub.PubsubConnection;
import dev.astrabridge.bridge.pulsar.PulsarConnection;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.pulsar.client.api.SubscriptionType;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * The options, checked together at start and turned into the objects the pipeline uses. Every problem is reported
 * at once, each naming the option, the value and what is valid; secrets are never resolved or printed here.
 */
public final class Settings {
  public enum Mode { INGEST, MIRROR, LOAD, EXPORT }

  public enum Source { PULSAR, PUBSUB }

  public enum WindowType { NONE, FIXED, SLIDING, SESSION }

  public enum DedupBy { NONE, MESSAGE_ID, KEY, ATTRIBUTE, FIELD }

  private final List<String> problems = new ArrayList<>();

  public final Mode mode;
  public final Source source;
  public final PulsarConnection pulsar;
  public final SubscriptionType subscriptionType;
  public final boolean startFromEarliest;
  public final Instant startTimestamp;
  public final Duration pulsarIdleTimeout;
  /** Off Dataflow, after how long without messages a Pub/Sub reader's watermark follows the clock. */
  public final Duration pubsubIdleTimeout;
  /** Split the Pulsar source on the workers (see --pulsarSplitOnWorkers). */
  public final boolean pulsarSplitOnWorkers;
  public final AstraDbConnection astraDb;
  public final MappingSpec mapping;
  public final DefaultConsistencyLevel consistency;
  public final FailurePolicy writeFailurePolicy;
  public final java.time.Duration writeRetryTimeout;
  public final PayloadFormat payloadFormat;
  /** --schema=registry: the Pulsar topic's registered schema versions (the envelope carries each message's). */
  public final boolean registeredSchema;
  public final WindowType windowType;
  public final Duration windowSize;
  public final Duration windowPeriod;
  public final Duration allowedLateness;
  public final Duration earlyFiring;
  public final DedupBy dedupBy;
  public final String dedupName;
  public final Duration dedupDuration;
  public final String deadLetter;
  public final List<MirrorRoute> mirrorRoutes = new ArrayList<>();
  /** Mirror mode: how long a keyed Pub/Sub message waits at most to be put back in order; null in other modes. */
  public final Duration mirrorOrderMaxWait;
  public final FileFormat fileFormat;
  public final Schema exportSchema;
  public final DefaultConsistencyLevel readConsistency;
  public final PayloadFormat.Encoding payloadEncoding;

  private Settings(BridgeOptions o) {
    mode = choice("mode", o.getMode(), Mode.class);
    source = choice("source", o.getSource(), Source.class);
    pulsarIdleTimeout = duration("pulsarIdleTimeout", o.getPulsarIdleTimeout());
    pubsubIdleTimeout = duration("pubsubIdleTimeout", o.getPubsubIdleTimeout());
    if (pubsubIdleTimeout != null && pubsubIdleTimeout.getMillis() < 1) {
      problems.add("--pubsubIdleTimeout=" + o.getPubsubIdleTimeout() + ": more than 0, e.g. 10s");
    }
    String onWorkers = String.valueOf(o.getPulsarSplitOnWorkers()).toLowerCase(Locale.ROOT);
    if (!List.of("auto", "true", "false").contains(onWorkers)) {
      problems.add("--pulsarSplitOnWorkers=" + o.getPulsarSplitOnWorkers() + ": auto, true or false");
    }
    pulsarSplitOnWorkers = onWorkers.equals("true") || (onWorkers.equals("auto") && o.getRunner() != null
        && o.getRunner().getSimpleName().equals("DataflowRunner"));
    subscriptionType = parse("pulsarSubscriptionType", o.getPulsarSubscriptionType(),
        "Failover, Exclusive, Shared or Key_Shared", () -> SubscriptionType.valueOf(o.getPulsarSubscriptionType()));
    String start = o.getPulsarStartPosition();
    startFromEarliest = !"latest".equalsIgnoreCase(start);
    startTimestamp = "earliest".equalsIgnoreCase(start) || "latest".equalsIgnoreCase(start) ? null
        : parse("pulsarStartPosition", start, "earliest, latest or an ISO-8601 time like 2026-11-01T00:00:00Z",
            () -> Instant.parse(start));
    boolean ingest = mode == Mode.INGEST;
    boolean mirror = mode == Mode.MIRROR;
    boolean load = mode == Mode.LOAD;
    boolean export = mode == Mode.EXPORT;
    String deadLetterOption = o.getDeadLetter() == null ? "" : o.getDeadLetter();
    String exportTo = o.getExportTo() == null ? "" : o.getExportTo();
    boolean needsPulsar = ingest && source == Source.PULSAR || mirror || deadLetterOption.startsWith("pulsar:")
        || export && exportTo.startsWith("pulsar:");
    pulsar = needsPulsar ? pulsarConnection(o) : null;
    if (ingest && source == Source.PULSAR && (o.getPulsarTopics() == null || o.getPulsarTopics().isEmpty())
        == (o.getPulsarTopicsPattern() == null)) {
      problems.add("--pulsarTopics / --pulsarTopicsPattern: set exactly one of them (e.g."
          + " --pulsarTopics=persistent://tenant/ns/orders)");
    }
    if (ingest && source == Source.PUBSUB && (o.getPubsubSubscription() == null
        || !o.getPubsubSubscription().matches("projects/[^/]+/subscriptions/[^/]+"))) {
      problems.add("--pubsubSubscription=" + o.getPubsubSubscription() + ": expected projects/PROJECT/subscriptions/NAME");
    }
    if (mirror) {
      mirrorOptions(o);
    }
    mirrorOrderMaxWait = mirror ? duration("mirrorOrderMaxWait", o.getMirrorOrderMaxWait()) : null;
    if (mirrorOrderMaxWait != null && mirrorOrderMaxWait.getMillis() < 1) {
      problems.add("--mirrorOrderMaxWait=" + o.getMirrorOrderMaxWait() + ": more than 0, e.g. 10s");
    }
    boolean needsAstraDb = ingest || load || export || deadLetterOption.startsWith("cassandra:");
    astraDb = needsAstraDb ? astraDbConnection(o) : null;
    if ((ingest || load || export) && (o.getKeyspace() == null || o.getTable() == null)) {
      problems.add("--keyspace / --table: both are required (the " + (export ? "source" : "target")
          + " table, e.g. --keyspace=astra_bridge --table=orders)");
    }
    if (load && (o.getLoadFrom() == null || o.getLoadFrom().isBlank())) {
      problems.add("--loadFrom: required with --mode=load (files to read, e.g. /data/orders/*.jsonl or gs://bucket/orders/*.avro)");
    }
    if (export && !(exportTo.startsWith("pubsub:") ? exportTo.matches("pubsub:projects/[^/]+/topics/[^/]+")
        : exportTo.startsWith("pulsar:") ? exportTo.matches("pulsar:(persistent|non-persistent)://[^/]+/[^/]+/.+")
        : !exportTo.isBlank())) {
      problems.add("--exportTo=" + o.getExportTo() + ": valid: a file prefix (/data/out/orders, gs://bucket/orders),"
          + " pubsub:projects/P/topics/T or pulsar:persistent://tenant/ns/topic");
    }
    FileFormat format = null;
    if (load || export && !exportTo.startsWith("pubsub:") && !exportTo.startsWith("pulsar:")) {
      try {
        format = FileFormat.of(load ? o.getFileFormat() : o.getFileFormat() == null ? "avro" : o.getFileFormat(),
            o.getLoadFrom());
      } catch (IllegalArgumentException e) {
        problems.add(e.getMessage());
      }
    }
    fileFormat = format;
    exportSchema = export && o.getExportSchema() != null ? schema("exportSchema", o.getExportSchema()) : null;
    if (export && exportSchema == null && o.getRunner() != null
        && o.getRunner().getSimpleName().equals("DataflowRunner")) {
      // without it the schema is derived from the table while the job is built: in the launcher, with the secrets
      problems.add("--exportSchema: required on the DataflowRunner (a schema name from schemas/ or an .avsc file),"
          + " so that only the workers connect to the database");
    }
    readConsistency = !export ? null : parse("readConsistency", o.getReadConsistency(), "LOCAL_QUORUM, LOCAL_ONE, QUORUM,"
        + " ONE, ALL, ...", () -> DefaultConsistencyLevel.valueOf(o.getReadConsistency().toUpperCase(Locale.ROOT)));
    if (export && (o.getReadSplits() == null || o.getReadSplits() < 0 || o.getExportShards() == null || o.getExportShards() < 0)) {
      problems.add("--readSplits=" + o.getReadSplits() + " / --exportShards=" + o.getExportShards() + ": 0 (automatic)"
          + " or a positive number");
    }
    payloadEncoding = parse("payloadEncoding", o.getPayloadEncoding(), "single-object, binary or json",
        () -> PayloadFormat.Encoding.valueOf(o.getPayloadEncoding().toUpperCase(Locale.ROOT).replace('-', '_')));
    mapping = !(ingest || load) ? null : parse("mapping", o.getMapping(), "comma separated 'column = expression' entries",
        () -> MappingSpec.parse(o.getMapping()));
    consistency = parse("consistency", o.getConsistency(), "LOCAL_QUORUM, QUORUM, EACH_QUORUM, ALL, LOCAL_ONE, ONE, TWO,"
        + " THREE", () -> DefaultConsistencyLevel.valueOf(o.getConsistency().toUpperCase(Locale.ROOT)));
    writeFailurePolicy = choice("writeFailurePolicy", o.getWriteFailurePolicy(), FailurePolicy.class);
    Duration retry = duration("writeRetryTimeout", o.getWriteRetryTimeout());
    writeRetryTimeout = retry == null ? null : java.time.Duration.ofMillis(retry.getMillis());
    registeredSchema = "registry".equalsIgnoreCase(o.getSchema());
    payloadFormat = !(ingest || load) ? null : registeredSchema ? registeredFormat(o, ingest) : payloadFormat(o);
    windowType = choice("windowType", o.getWindowType(), WindowType.class);
    windowSize = duration("windowSize", o.getWindowSize());
    windowPeriod = duration("windowPeriod", o.getWindowPeriod());
    allowedLateness = duration("allowedLateness", o.getAllowedLateness());
    earlyFiring = duration("earlyFiring", o.getEarlyFiring());
    String dedup = o.getDedupBy() == null ? "none" : o.getDedupBy();
    if (dedup.startsWith("attribute:") || dedup.startsWith("field:")) {
      dedupBy = dedup.startsWith("attribute:") ? DedupBy.ATTRIBUTE : DedupBy.FIELD;
      dedupName = dedup.substring(dedup.indexOf(':') + 1);
      if (dedupName.isEmpty()) {
        problems.add("--dedupBy=" + dedup + ": name the attribute or field after the colon");
      }
    } else {
      dedupBy = choice("dedupBy", dedup, DedupBy.class, "none, message-id, key, attribute:NAME or field:PATH");
      dedupName = null;
    }
    dedupDuration = duration("dedupDuration", o.getDedupDuration());
    deadLetter = o.getDeadLetter();
    if (deadLetter == null || !(deadLetter.equals("log") || deadLetter.matches("pubsub:projects/[^/]+/topics/[^/]+")
        || deadLetter.matches("pulsar:(persistent|non-persistent)://[^/]+/[^/]+/.+") || deadLetter.matches("cassandra:[\\w\"]+\\.[\\w\"]+"))) {
      problems.add("--deadLetter=" + deadLetter + ": valid: pubsub:projects/P/topics/T, pulsar:persistent://tenant/ns/topic,"
          + " cassandra:keyspace.table or log");
    }
    if (o.getRollupTable() != null && windowType == WindowType.NONE) {
      problems.add("--rollupTable=" + o.getRollupTable() + ": rollups need windows; set --windowType=fixed, sliding or session");
    }
    if (o.getRollupTable() != null && (o.getRollupKeys() == null || o.getRollupKeys().isEmpty())) {
      problems.add("--rollupKeys: required with --rollupTable (record field paths, e.g. status)");
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("invalid options (" + problems.size() + "):\n  - " + String.join("\n  - ", problems));
    }
  }

  private void mirrorOptions(BridgeOptions o) {
    String direction = o.getMirrorDirection() == null ? "" : o.getMirrorDirection().toLowerCase(Locale.ROOT);
    if (!List.of("both", "pubsub-to-pulsar", "pulsar-to-pubsub").contains(direction)) {
      problems.add("--mirrorDirection=" + o.getMirrorDirection() + ": valid: both, pubsub-to-pulsar, pulsar-to-pubsub");
    }
    if (o.getMirrorRoutes() == null || o.getMirrorRoutes().isEmpty()) {
      problems.add("--mirrorRoutes: at least one SOURCE->TARGET route, e.g. projects/P/subscriptions/S->"
          + "persistent://tenant/ns/topic or persistent://tenant/ns/topic->projects/P/topics/T");
    } else {
      for (String text : o.getMirrorRoutes()) {
        try {
          MirrorRoute route = MirrorRoute.parse(text);
          if (!"both".equals(direction) && !route.direction.label().equals(direction)) {
            problems.add("--mirrorRoutes=" + text + ": a " + route.direction.label() + " route, but --mirrorDirection="
                + direction);
          }
          mirrorRoutes.add(route);
        } catch (IllegalArgumentException e) {
          problems.add("--mirrorRoutes: " + e.getMessage());
        }
      }
    }
    if (o.getBridgeId() == null || !o.getBridgeId().matches("[A-Za-z0-9._-]{1,64}")) {
      problems.add("--bridgeId=" + o.getBridgeId() + ": 1 to 64 of A-Z a-z 0-9 . _ - (it names Pulsar producers and"
          + " travels in astra-bridge.path)");
    }
    if (o.getMirrorMaxHops() == null || o.getMirrorMaxHops() < 1) {
      problems.add("--mirrorMaxHops=" + o.getMirrorMaxHops() + ": at least 1");
    }
    if (o.getMirrorShards() == null || o.getMirrorShards() < 1 || o.getMirrorShards() > 1024) {
      problems.add("--mirrorShards=" + o.getMirrorShards() + ": 1 to 1024");
    }
    if (!List.of("dead-letter", "pack").contains(String.valueOf(o.getMirrorAttributeOverflow()).toLowerCase(Locale.ROOT))) {
      problems.add("--mirrorAttributeOverflow=" + o.getMirrorAttributeOverflow() + ": valid: dead-letter, pack");
    }
    if (o.getMirrorEventTimeAttribute() == null || o.getMirrorEventTimeAttribute().isBlank()
        || o.getMirrorEventTimeAttribute().startsWith("goog")) {
      problems.add("--mirrorEventTimeAttribute=" + o.getMirrorEventTimeAttribute() + ": a Pub/Sub attribute name"
          + " (not empty, not starting with goog)");
    }
    try {
      PubsubConnection.fromRootUrl(o.getPubsubRootUrl());
    } catch (IllegalArgumentException e) {
      problems.add("--pubsubRootUrl: " + e.getMessage());
    }
  }

  /** Checks the options; throws IllegalArgumentException listing every problem. */
  public static Settings of(BridgeOptions options) {
    return new Settings(options);
  }

  private PulsarConnection pulsarConnection(BridgeOptions o) {
    try {
      PulsarConnection c = PulsarConnection.of(o.getPulsarServiceUrl());
      if (o.getPulsarToken() != null) {
        c = c.withToken(SecretRef.of(o.getPulsarToken()));
      }
      if (o.getPulsarTlsTrustCerts() != null) {
        if (!Files.isReadable(Path.of(o.getPulsarTlsTrustCerts()))) {
          problems.add("--pulsarTlsTrustCerts=" + o.getPulsarTlsTrustCerts() + ": no readable PEM file there");
        }
        c = c.withTlsTrustCertsFile(o.getPulsarTlsTrustCerts());
      }
      c = c.withTlsHostnameVerification(Boolean.TRUE.equals(o.getPulsarTlsHostnameVerification()));
      if (o.getPulsarAdminUrl() != null) {
        c = c.withAdminUrl(o.getPulsarAdminUrl());
      }
      return c;
    } catch (IllegalArgumentException e) {
      problems.add("--pulsarServiceUrl / --pulsarAdminUrl: " + e.getMessage());
      return null;
    }
  }

  private AstraDbConnection astraDbConnection(BridgeOptions o) {
    boolean astra = o.getAstraSecureConnectBundle() != null;
    boolean cassandra = o.getCassandraContactPoints() != null && !o.getCassandraContactPoints().isEmpty();
    if (astra == cassandra) {
      problems.add("--astraSecureConnectBundle (with --astraToken) or --cassandraContactPoints (with --cassandraLocalDc):"
          + " set exactly one");
      return null;
    }
    try {
      AstraDbConnection c;
      if (astra) {
        if (o.getAstraToken() == null) {
          problems.add("--astraToken: required with --astraSecureConnectBundle (file:/path, env:NAME or a secret resource)");
          return null;
        }
        String bundle = o.getAstraSecureConnectBundle();
        c = AstraDbConnection.astra(bundle.matches("projects/.*|env:.*") ? SecretRef.of(bundle) : SecretRef.of("path:" + bundle),
            SecretRef.of(o.getAstraToken()));
      } else {
        c = AstraDbConnection.cassandra(o.getCassandraContactPoints(), o.getCassandraLocalDc());
        if (o.getCassandraUsername() != null) {
          if (o.getCassandraPassword() == null) {
            problems.add("--cassandraPassword: required with --cassandraUsername");
            return null;
          }
          c = c.withCredentials(o.getCassandraUsername(), SecretRef.of(o.getCassandraPassword()));
        }
        if (o.getCassandraTlsTrustCert() != null) {
          c = c.withTls(o.getCassandraTlsTrustCert());
        }
      }
      if (o.getDriverOptions() != null) {
        for (String option : o.getDriverOptions()) {
          int eq = option.indexOf('=');
          if (eq <= 0) {
            problems.add("--driverOptions=" + option + ": expected path=value, e.g. basic.request.timeout=5 seconds");
          } else {
            c = c.withDriverOption(option.substring(0, eq).trim(), option.substring(eq + 1).trim());
          }
        }
      }
      return c;
    } catch (IllegalArgumentException e) {
      problems.add("--cassandraContactPoints / --cassandraLocalDc: " + e.getMessage());
      return null;
    }
  }

  /** --schema=registry: the first topic's registered schemas, read now with the job's Pulsar connection. */
  private PayloadFormat registeredFormat(BridgeOptions o, boolean ingest) {
    if (!ingest || source != Source.PULSAR || o.getPulsarTopics() == null || o.getPulsarTopics().isEmpty()) {
      problems.add("--schema=registry: reads the registered schema of a Pulsar topic, so it needs --mode=ingest"
          + " --source=pulsar --pulsarTopics=... (not a topic pattern); otherwise name a schema of schemas/ or an"
          + " .avsc file");
      return null;
    }
    if (pulsar == null) {
      return null; // the connection's own problem is reported
    }
    if (pulsar.adminUrl() == null) {
      problems.add("--schema=registry: needs --pulsarAdminUrl (the schema registry is read through the admin API)");
      return null;
    }
    String topic = o.getPulsarTopics().get(0);
    try {
      return dev.astrabridge.bridge.pulsar.RegisteredSchemas.payloadFormat(pulsar, topic);
    } catch (java.io.IOException | RuntimeException e) {
      problems.add("--schema=registry: " + e.getMessage());
      return null;
    }
  }

  private PayloadFormat payloadFormat(BridgeOptions o) {
    Schema reader = schema("schema", o.getSchema());
    if (reader == null) {
      return null;
    }
    PayloadFormat.Encoding encoding = payloadEncoding;
    if (encoding == null) {
      return null;
    }
    PayloadFormat format = PayloadFormat.of(encoding, reader);
    if (o.getWriterSchemas() != null) {
      for (String path : o.getWriterSchemas()) {
        Schema writer = schema("writerSchemas", path);
        if (writer != null) {
          try {
            format = format.withWriterSchemas(writer);
          } catch (IllegalArgumentException e) {
            problems.add("--writerSchemas=" + path + ": " + e.getMessage());
          }
        }
      }
    }
    return format;
  }

  /** A schema of schemas/ by name (the generated class), or an .avsc file. */
  static Schema schemaByName(String name) throws ClassNotFoundException {
    return SpecificData.get().getSchema(Class.forName("dev.astrabridge.schemas.events." + name));
  }

  private Schema schema(String option, String value) {
    if (value == null) {
      problems.add("--" + option + ": required (OrderEvent, DeviceTelemetry or an .avsc file)");
      return null;
    }
    if (value.endsWith(".avsc")) {
      try {
        return new Schema.Parser().parse(Files.readString(Path.of(value)));
      } catch (IOException | RuntimeException e) {
        problems.add("--" + option + "=" + value + ": cannot read the schema file: " + e.getMessage());
        return null;
      }
    }
    try {
      return schemaByName(value);
    } catch (ClassNotFoundException | RuntimeException e) {
      problems.add("--" + option + "=" + value + ": no schema of that name in schemas/ (valid: OrderEvent,"
          + " DeviceTelemetry, or a path ending in .avsc)");
      return null;
    }
  }

  private <E extends Enum<E>> E choice(String option, String value, Class<E> type) {
    List<String> names = new ArrayList<>();
    for (E e : type.getEnumConstants()) {
      names.add(e.name().toLowerCase(Locale.ROOT).replace('_', '-'));
    }
    return choice(option, value, type, String.join(", ", names));
  }

  private <E extends Enum<E>> E choice(String option, String value, Class<E> type, String valid) {
    if (value != null) {
      for (E e : type.getEnumConstants()) {
        if (e.name().equalsIgnoreCase(value.replace('-', '_'))) {
          return e;
        }
      }
    }
    problems.add("--" + option + "=" + value + ": valid: " + valid);
    return null;
  }

  private <T> T parse(String option, String value, String valid, Supplier<T> parser) {
    try {
      return parser.get();
    } catch (RuntimeException e) {
      problems.add("--" + option + "=" + value + ": valid: " + valid);
      return null;
    }
  }

  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");

  /** 250ms, 10s, 5m, 1h, 2d or ISO-8601 (PT10S). */
  public static Duration parseDuration(String text) {
    Matcher m = DURATION.matcher(text == null ? "" : text.trim());
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      switch (m.group(2)) {
        case "ms": return Duration.millis(n);
        case "s": return Duration.standardSeconds(n);
        case "m": return Duration.standardMinutes(n);
        case "h": return Duration.standardHours(n);
        default: return Duration.standardDays(n);
      }
    }
    return Duration.parse(text);
  }

  private Duration duration(String option, String value) {
    return parse(option, value, "a duration like 250ms, 10s, 5m, 1h, 2d or PT10S", () -> parseDuration(value));
  }
}
