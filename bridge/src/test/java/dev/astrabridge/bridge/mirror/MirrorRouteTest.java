package dev.astrabridge.bridge.mirror;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.astrabridge.bridge.BridgeMain;
import dev.astrabridge.bridge.options.BridgeOptions;
import dev.astrabridge.bridge.pubsub.PubsubLimits;
import java.util.HashMap;
import java.util.Map;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;

/** Route parsing, the loop guard, Pub/Sub limits and the mirror's option checks (no servers). */
class MirrorRouteTest {

  @Test
  void routesAreParsedWithTheirDirectionAndPatternRoutesNameTheirTargetPerTopic() {
    MirrorRoute in = MirrorRoute.parse("projects/p/subscriptions/orders-sub->persistent://t/ns/orders");
    assertThat(in.direction).isEqualTo(MirrorRoute.Direction.PUBSUB_TO_PULSAR);
    assertThat(in.shortName()).isEqualTo("orders-sub to orders");
    MirrorRoute out = MirrorRoute.parse("persistent://t/ns/orders-(.*)->projects/p/topics/mirror-$1");
    assertThat(out.direction).isEqualTo(MirrorRoute.Direction.PULSAR_TO_PUBSUB);
    assertThat(out.pattern).isTrue();
    assertThat(out.targetFor("persistent://t/ns/orders-eu-partition-2")).isEqualTo("projects/p/topics/mirror-eu");
    assertThatThrownBy(() -> MirrorRoute.parse("projects/p/topics/x->persistent://t/ns/y"))
        .hasMessageContaining("the source must be a Pub/Sub subscription");
    assertThatThrownBy(() -> MirrorRoute.parse("persistent://t/ns/x->persistent://t/ns/y"))
        .hasMessageContaining("relays to a Pub/Sub topic");
  }

  @Test
  void theLoopGuardStopsWhatThisBridgeRelayedAndWhatCrossedTooManyBridges() {
    Map<String, String> attributes = new HashMap<>();
    assertThat(MirrorHeaders.loopReason(attributes, "b1", 4)).isNull();
    attributes.put(MirrorHeaders.PATH, MirrorHeaders.appendHop(attributes, "b2"));
    assertThat(MirrorHeaders.loopReason(attributes, "b1", 4)).isNull();
    attributes.put(MirrorHeaders.PATH, MirrorHeaders.appendHop(attributes, "b1"));
    assertThat(attributes.get(MirrorHeaders.PATH)).isEqualTo("b2,b1");
    assertThat(MirrorHeaders.loopReason(attributes, "b1", 4)).contains("already relayed by b1");
    assertThat(MirrorHeaders.loopReason(attributes, "b3", 2)).contains("crossed 2 bridges");
  }

  @Test
  void pubsubLimitsNameTheLimitThatWasExceeded() {
    Map<String, String> many = new HashMap<>();
    for (int i = 0; i < 101; i++) {
      many.put("p" + i, "v");
    }
    assertThat(PubsubLimits.violation(10, many, null)).contains("101 attributes").contains("at most 100");
    assertThat(PubsubLimits.violation(10, Map.of("big", "x".repeat(1025)), null)).contains("1025 bytes");
    assertThat(PubsubLimits.violation(10, Map.of("googx", "v"), null)).contains("goog");
    assertThat(PubsubLimits.violation(10_000_001, Map.of(), null)).contains("at most 10000000");
    assertThat(PubsubLimits.violation(10, Map.of("ok", "v"), "k")).isNull();
  }

  @Test
  void limitsCountUtf8BytesNotCharsRightAtEachBoundary() {
    // values: 1024 bytes pass, 1025 do not, whether the chars take 1, 2 or 3 bytes
    assertThat(PubsubLimits.violation(0, Map.of("v", "x".repeat(1024)), null)).isNull();
    assertThat(PubsubLimits.violation(0, Map.of("v", "é".repeat(512)), null)).isNull();
    assertThat(PubsubLimits.violation(0, Map.of("v", "é".repeat(512) + "x"), null)).contains("1025 bytes");
    assertThat(PubsubLimits.violation(0, Map.of("v", "€".repeat(342)), null)).contains("1026 bytes");
    assertThat(PubsubLimits.violation(0, Map.of("v", "€".repeat(341) + "x"), null)).isNull();
    // keys: 256 bytes
    assertThat(PubsubLimits.violation(0, Map.of("k".repeat(256), "v"), null)).isNull();
    assertThat(PubsubLimits.violation(0, Map.of("€".repeat(86), "v"), null)).contains("258 bytes").contains("256");
    // a pair of surrogates is one 4-byte character
    assertThat(PubsubLimits.violation(0, Map.of("v", "😀".repeat(256)), null)).isNull();
    assertThat(PubsubLimits.violation(0, Map.of("v", "😀".repeat(256) + "x"), null)).contains("1025 bytes");
    // ordering key: 1024 bytes
    assertThat(PubsubLimits.violation(0, Map.of(), "ü".repeat(512))).isNull();
    assertThat(PubsubLimits.violation(0, Map.of(), "ü".repeat(513))).contains("ordering key of 1026 bytes");
    // the whole message: data + attribute bytes, exactly 10,000,000 passes
    Map<String, String> attributes = Map.of("ab", "é".repeat(500)); // 2 + 1000 bytes
    assertThat(PubsubLimits.violation(10_000_000 - 1002, attributes, null)).isNull();
    assertThat(PubsubLimits.violation(10_000_000 - 1001, attributes, null)).contains("message of 10000001 bytes");
  }

  @Test
  void badMirrorOptionsFailAtStartNamingEachOptionAndWhatIsValid() {
    BridgeOptions options = PipelineOptionsFactory.fromArgs("--mode=mirror", "--pulsarServiceUrl=pulsar+ssl://h:6651",
        "--mirrorRoutes=projects/p/subscriptions/s->projects/p/topics/t", "--mirrorDirection=sideways",
        "--bridgeId=has space", "--mirrorShards=0", "--mirrorAttributeOverflow=drop", "--pulsarSplitOnWorkers=sometimes",
        "--mirrorOrderMaxWait=0s", "--pubsubIdleTimeout=0s")
        .as(BridgeOptions.class);
    assertThatThrownBy(() -> BridgeMain.build(options))
        .hasMessageContaining("--mirrorDirection=sideways: valid: both, pubsub-to-pulsar, pulsar-to-pubsub")
        .hasMessageContaining("--mirrorRoutes: 'projects/p/subscriptions/s->projects/p/topics/t': a Pub/Sub subscription"
            + " relays to one Pulsar topic")
        .hasMessageContaining("--bridgeId=has space")
        .hasMessageContaining("--mirrorShards=0: 1 to 1024")
        .hasMessageContaining("--mirrorAttributeOverflow=drop: valid: dead-letter, pack")
        .hasMessageContaining("--pulsarSplitOnWorkers=sometimes: auto, true or false")
        .hasMessageContaining("--mirrorOrderMaxWait=0s: more than 0, e.g. 10s")
        .hasMessageContaining("--pubsubIdleTimeout=0s: more than 0, e.g. 10s");
  }
}
