package dev.astrabridge.bench;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.driver.api.core.metadata.token.TokenRange;
import com.datastax.oss.driver.internal.core.metadata.token.Murmur3Token;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.astrabridge.astradb.AstraDbIO;
import dev.astrabridge.astradb.connect.AstraDbConnection;
import dev.astrabridge.astradb.connect.SecretRef;
import dev.astrabridge.astradb.read.TokenSplit;
import dev.astrabridge.bridge.BridgeMain;
import dev.astrabridge.bridge.options.BridgeOptions;
import dev.astrabridge.localstack.LocalStack;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Count;

/**
 * Batch benchmark on the local stack, one run, one machine (-Drows=N, default 1,000,000; -Dsplits=16; -Dthreads=4;
 * -Donly=export reuses the table of the previous run; -Ddirect=true adds the DirectRunner to the pipelines measured; the figures include each job's start-up):
 * <ul>
 *   <li>load: N JSON lines (4 files) into a fresh table by a raw java-driver loop (parse, bind, async, 128 in flight)
 *       and by --mode=load on the embedded Flink runner (parse, Avro, decode, map, write);</li>
 *   <li>export: the table read by one full-scan SELECT (paged), by a raw parallel token-range loop (the same splits,
 *       -Dthreads threads), by AstraDbIO.read() alone (DirectRunner and Flink), and by --mode=export to JSON lines
 *       files on Flink.</li>
 * </ul>
 * Prints rows/s and each pipeline's ratio to its raw baseline. Run: see the README ("Benchmarks").
 */
public final class BatchBenchmark {
  static final String TABLE = "bench_batch";
  static final ObjectMapper JSON = new ObjectMapper();

  public static void main(String[] args) throws Exception {
    int rows = Integer.getInteger("rows", 1_000_000);
    int splits = Integer.getInteger("splits", 16);
    int threads = Integer.getInteger("threads", 4);
    boolean direct = Boolean.getBoolean("direct");
    LocalStack stack = LocalStack.get();
    Path dir = Files.createTempDirectory("batch-bench");
    Path schema = dir.resolve("BenchRow.avsc");
    Files.writeString(schema, """
        {"type":"record","name":"BenchRow","fields":[{"name":"pk","type":"int"},{"name":"ck","type":"int"},
          {"name":"name","type":"string"},{"name":"amount","type":"double"},
          {"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}},{"name":"tags","type":{"type":"array","items":"string"}}]}""");
    Path in = Files.createDirectories(dir.resolve("in"));
    for (int f = 0; f < 4; f++) {
      try (BufferedWriter w = Files.newBufferedWriter(in.resolve("part-" + f + ".jsonl"))) {
        for (int i = f; i < rows; i += 4) {
          w.write("{\"pk\":" + (i / 10) + ",\"ck\":" + (i % 10) + ",\"name\":\"name " + i + "\",\"amount\":" + (i * 0.25)
              + ",\"at\":\"" + Instant.ofEpochMilli(1_790_000_000_000L + i) + "\",\"tags\":[\"a\",\"b" + (i % 7) + "\"]}\n");
        }
      }
    }
    Map<String, Double> load = new LinkedHashMap<>();
    Map<String, Double> export = new LinkedHashMap<>();
    try (CqlSession session = session(stack)) {
      boolean exportOnly = "export".equals(System.getProperty("only"));
      long t0;
      if (!exportOnly) {
        // warm-up: JIT, connections, prepared statements
        recreate(session);
        rawLoad(session, in, Math.min(rows, 20_000));
        recreate(session);
        load.put("raw java-driver loop (parse JSON, bind, async, 128 in flight)", rawLoad(session, in, rows));
        check(session, rows);
        recreate(session);
        if (direct) {
          t0 = System.nanoTime();
          runMode(stack, schema, "DirectRunner", "--mode=load", "--loadFrom=" + in + "/*.jsonl");
          load.put("--mode=load on the DirectRunner (4 files)", rate(rows, t0));
          check(session, rows);
          recreate(session);
        }
        t0 = System.nanoTime();
        runMode(stack, schema, "FlinkRunner", "--mode=load", "--loadFrom=" + in + "/*.jsonl");
        load.put("--mode=load on the Flink runner (embedded, parallelism 2, 4 files)", rate(rows, t0));
      }
      check(session, rows);

      fullScan(session, rows);
      export.put("raw single full-scan SELECT (paged, 5000 rows/page, every column decoded)", fullScan(session, rows));
      export.put("raw parallel token-range loop (" + splits + " splits, " + threads + " threads)",
          rawRanges(session, rows, splits, threads));
      export.put("AstraDbIO.read() on the DirectRunner (" + splits + " splits), rows counted",
          readOnly(stack, rows, splits, false));
      export.put("AstraDbIO.read() on the Flink runner (embedded, parallelism 2), rows counted",
          readOnly(stack, rows, splits, true));
      for (String runner : direct ? List.of("DirectRunner", "FlinkRunner") : List.of("FlinkRunner")) {
        t0 = System.nanoTime();
        runMode(stack, schema, runner, "--mode=export", "--exportSchema=" + schema, "--fileFormat=jsonl",
            "--readSplits=" + splits, "--exportTo=" + dir.resolve("out-" + runner) + "/bench");
        export.put("--mode=export to JSON lines on the " + runner, rate(rows, t0));
      }
    }
    System.out.printf("%nBatch benchmark: %,d rows (%,d partitions of 10) in %s.%s%n", rows, rows / 10, stack.keyspace(), TABLE);
    if (!load.isEmpty()) {
      print("load", load);
    }
    print("export", export);
    System.exit(0);
  }

  static void print(String what, Map<String, Double> results) {
    double baseline = results.values().iterator().next();
    System.out.printf("%n  %s%n", what);
    results.forEach((name, r) -> System.out.printf("    %-75s %,10.0f rows/s  %5.0f%% of the first line%n", name, r,
        100 * r / baseline));
  }

  static CqlSession session(LocalStack stack) {
    return CqlSession.builder().addContactPoint(stack.cassandraContactPoint()).withLocalDatacenter(stack.cassandraLocalDc())
        .withAuthCredentials("token", stack.astraToken()).withKeyspace(stack.keyspace()).build();
  }

  static void recreate(CqlSession session) {
    session.execute("DROP TABLE IF EXISTS " + TABLE);
    session.execute("CREATE TABLE " + TABLE + " (pk int, ck int, name text, amount double, at timestamp, tags list<text>,"
        + " PRIMARY KEY ((pk), ck))");
  }

  static void check(CqlSession session, int rows) {
    long n = session.execute(SimpleStatement.newInstance("SELECT count(*) FROM " + TABLE).setTimeout(java.time.Duration.ofMinutes(2)))
        .one().getLong(0);
    if (n != rows) {
      throw new IllegalStateException("expected " + rows + " rows in " + TABLE + ", found " + n);
    }
  }

  static double rate(long rows, long startNanos) {
    return rows / ((System.nanoTime() - startNanos) / 1e9);
  }

  static double rawLoad(CqlSession session, Path in, int limit) throws Exception {
    PreparedStatement insert = session.prepare("INSERT INTO " + TABLE + " (pk, ck, name, amount, at, tags) VALUES (?, ?, ?, ?, ?, ?)");
    Semaphore inFlight = new Semaphore(128);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    long t0 = System.nanoTime();
    int n = 0;
    List<Path> files;
    try (var s = Files.list(in)) {
      files = s.sorted().toList();
    }
    outer:
    for (Path file : files) {
      try (BufferedReader r = Files.newBufferedReader(file)) {
        for (String line = r.readLine(); line != null; line = r.readLine()) {
          if (n++ >= limit) {
            break outer;
          }
          JsonNode j = JSON.readTree(line);
          List<String> tags = new ArrayList<>();
          j.get("tags").forEach(t -> tags.add(t.asText()));
          inFlight.acquire();
          session.executeAsync(insert.bind(j.get("pk").intValue(), j.get("ck").intValue(), j.get("name").asText(),
              j.get("amount").doubleValue(), Instant.parse(j.get("at").asText()), tags)).whenComplete((rs, e) -> {
                if (e != null) {
                  failure.set(e);
                }
                inFlight.release();
              });
        }
      }
    }
    inFlight.acquire(128);
    inFlight.release(128);
    if (failure.get() != null) {
      throw new IllegalStateException(failure.get());
    }
    return rate(Math.min(n, limit), t0);
  }

  static double fullScan(CqlSession session, int rows) {
    long t0 = System.nanoTime();
    long n = 0;
    for (Row row : session.execute(SimpleStatement.newInstance("SELECT pk, ck, name, amount, at, tags FROM " + TABLE)
        .setPageSize(5000))) {
      n += decodeAll(row);
    }
    if (n != rows) {
      throw new IllegalStateException("full scan read " + n);
    }
    return rate(n, t0);
  }

  /** Decodes every column, as an exporter must; 1 per row. */
  static int decodeAll(Row row) {
    int nonNull = 0;
    for (int i = 0; i < row.size(); i++) {
      nonNull += row.getObject(i) != null ? 1 : 0;
    }
    return nonNull >= 0 ? 1 : 0;
  }

  static double rawRanges(CqlSession session, int rows, int splits, int threads) throws Exception {
    List<Long> ring = new ArrayList<>();
    for (TokenRange range : session.getMetadata().getTokenMap().orElseThrow().getTokenRanges()) {
      ring.add(((Murmur3Token) range.getEnd()).getValue());
    }
    PreparedStatement select = session.prepare("SELECT pk, ck, name, amount, at, tags FROM " + TABLE
        + " WHERE token(pk) > ? AND token(pk) <= ?");
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    AtomicLong n = new AtomicLong();
    long t0 = System.nanoTime();
    List<Future<?>> futures = new ArrayList<>();
    for (TokenSplit split : TokenSplit.plan(ring, splits)) {
      futures.add(pool.submit(() -> {
        long c = 0;
        for (Row row : session.execute(select.bind(split.start, split.end).setPageSize(5000))) {
          c += decodeAll(row);
        }
        n.addAndGet(c);
      }));
    }
    for (Future<?> f : futures) {
      f.get();
    }
    pool.shutdown();
    if (n.get() != rows) {
      throw new IllegalStateException("token-range loop read " + n.get());
    }
    return rate(n.get(), t0);
  }

  static double readOnly(LocalStack stack, int rows, int splits, boolean flink) {
    Pipeline p;
    if (flink) {
      org.apache.beam.runners.flink.FlinkPipelineOptions options = PipelineOptionsFactory.create()
          .as(org.apache.beam.runners.flink.FlinkPipelineOptions.class);
      options.setRunner(org.apache.beam.runners.flink.FlinkRunner.class);
      options.setParallelism(2);
      p = Pipeline.create(options);
    } else {
      DirectOptions options = PipelineOptionsFactory.create().as(DirectOptions.class);
      options.setRunner(DirectRunner.class);
      options.setTargetParallelism(4);
      options.setEnforceEncodability(false);
      options.setEnforceImmutability(false);
      p = Pipeline.create(options);
    }
    AstraDbConnection c = AstraDbConnection.cassandra(List.of(stack.cassandraContactPoint().getHostString() + ":"
        + stack.cassandraContactPoint().getPort()), stack.cassandraLocalDc())
        .withCredentials("token", SecretRef.file(stack.astraTokenFile().toString()));
    p.apply(AstraDbIO.read().withConnection(c).withTable(stack.keyspace(), TABLE).withMinSplits(splits))
        .apply(Count.globally());
    long t0 = System.nanoTime();
    PipelineResult.State state = p.run().waitUntilFinish();
    if (state != PipelineResult.State.DONE) {
      throw new IllegalStateException("read ended " + state);
    }
    return rate(rows, t0);
  }

  static void runMode(LocalStack stack, Path schema, String runner, String... args) {
    List<String> all = new ArrayList<>(List.of("--runner=" + runner, "--targetParallelism=4", "--parallelism=2",
        "--cassandraContactPoints=" + stack.cassandraContactPoint().getHostString() + ":" + stack.cassandraContactPoint().getPort(),
        "--cassandraLocalDc=" + stack.cassandraLocalDc(), "--cassandraUsername=token",
        "--cassandraPassword=file:" + stack.astraTokenFile(), "--keyspace=" + stack.keyspace(), "--table=" + TABLE,
        "--schema=" + schema, "--mapping=*"));
    all.addAll(List.of(args));
    BridgeOptions options = PipelineOptionsFactory.fromArgs(all.toArray(new String[0])).as(BridgeOptions.class);
    PipelineResult.State state = BridgeMain.run(options).waitUntilFinish();
    if (state != PipelineResult.State.DONE) {
      throw new IllegalStateException(options.getMode() + " ended " + state);
    }
  }

  private BatchBenchmark() {}
}
