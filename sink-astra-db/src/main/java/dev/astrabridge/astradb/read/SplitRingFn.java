package dev.astrabridge.astradb.read;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.metadata.TokenMap;
import com.datastax.oss.driver.api.core.metadata.token.TokenRange;
import com.datastax.oss.driver.internal.core.metadata.token.Murmur3Token;
import dev.astrabridge.astradb.connect.SessionCache;
import dev.astrabridge.astradb.connect.SharedPerJvm;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the cluster's token ring into {@link TokenSplit}s, on a worker (where the connection's secrets are resolved),
 * from the driver's token map: the ranges between the owners' tokens, each cut evenly.
 */
public final class SplitRingFn extends DoFn<byte[], TokenSplit> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(SplitRingFn.class);
  /** Splits when none are asked for and the ring has fewer ranges: enough to keep a few workers busy. */
  static final int DEFAULT_MIN_SPLITS = 16;

  private final ReadSpec spec;
  private final Counter splits = Metrics.counter("astradb.read", "splits");

  public SplitRingFn(ReadSpec spec) {
    this.spec = spec;
  }

  @ProcessElement
  public void processElement(OutputReceiver<TokenSplit> out) {
    try (SharedPerJvm<CqlSession>.Lease lease = SessionCache.acquire(spec.connection(), spec.sessionFactory())) {
      TokenMap tokenMap = lease.get().getMetadata().getTokenMap().orElseThrow(() -> new IllegalStateException(
          "the driver has no token map (advanced.metadata.token-map.enabled is false?): token-range reads need it"));
      if (!tokenMap.getPartitionerName().endsWith("Murmur3Partitioner")) {
        throw new IllegalStateException("partitioner " + tokenMap.getPartitionerName() + ": token-range reads support the"
            + " Murmur3Partitioner (Cassandra's default and Astra DB's) only");
      }
      List<Long> ring = new ArrayList<>();
      for (TokenRange range : tokenMap.getTokenRanges()) {
        ring.add(((Murmur3Token) range.getEnd()).getValue());
      }
      int wanted = spec.minSplits() > 0 ? spec.minSplits() : Math.max(DEFAULT_MIN_SPLITS, ring.size());
      List<TokenSplit> plan = TokenSplit.plan(ring, wanted);
      LOG.info("Reading {} in {} token-range splits ({} ring ranges)", spec.table() == null ? "the query" : spec.keyspace()
          + "." + spec.table(), plan.size(), ring.size());
      for (TokenSplit split : plan) {
        out.output(split);
      }
      splits.inc(plan.size());
    }
  }
}
