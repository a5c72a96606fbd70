package dev.astrabridge.bridge.ingest;

import static dev.astrabridge.bridge.ingest.IngestTestSupport.await;
import static dev.astrabridge.bridge.ingest.IngestTestSupport.bytes;
import static dev.astrabridge.bridge.ingest.IngestTestSupport.order;
import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.GrpcTransportChannel;
import com.google.api.gax.rpc.FixedTransportChannelProvider;
import com.google.cloud.pubsub.v1.Publisher;
import com.google.cloud.pubsub.v1.SubscriptionAdminClient;
import com.google.cloud.pubsub.v1.SubscriptionAdminSettings;
import com.google.cloud.pubsub.v1.TopicAdminClient;
import com.google.cloud.pubsub.v1.TopicAdminSettings;
import com.google.cloud.pubsub.v1.stub.GrpcSubscriberStub;
import com.google.cloud.pubsub.v1.stub.SubscriberStubSettings;
import com.google.protobuf.ByteString;
import com.google.pubsub.v1.AcknowledgeRequest;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.PullRequest;
import com.google.pubsub.v1.PushConfig;
import com.google.pubsub.v1.ReceivedMessage;
import com.google.pubsub.v1.SubscriptionName;
import com.google.pubsub.v1.TopicName;
import dev.astrabridge.bridge.BridgeMain;
import dev.astrabridge.bridge.PubsubTestClient;
import dev.astrabridge.bridge.options.BridgeOptions;
import dev.astrabridge.localstack.LocalStack;
import dev.astrabridge.localstack.LocalStackExtension;
import dev.astrabridge.schemas.events.OrderStatus;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The ingest job end to end from the Pub/Sub emulator into Cassandra, dead letters to a Pub/Sub topic. */
@ExtendWith(LocalStackExtension.class)
class IngestFromPubsubIT {

  /** The ingest job from a subscription of the emulator into astra_bridge.orders, DirectRunner, plus {@code extra}. */
  static BridgeOptions options(LocalStack stack, String subscription, String... extra) {
    List<String> args = new ArrayList<>(List.of(
        "--runner=DirectRunner", "--source=pubsub", "--pubsubSubscription=" + subscription,
        "--pubsubRootUrl=http://" + stack.pubsubEmulatorHost(),
        "--credentialFactoryClass=org.apache.beam.sdk.extensions.gcp.auth.NoopCredentialFactory",
        "--project=" + stack.pubsubProject(),
        "--cassandraContactPoints=" + stack.cassandraContactPoint().getHostString() + ":" + stack.cassandraContactPoint().getPort(),
        "--cassandraLocalDc=" + stack.cassandraLocalDc(), "--cassandraUsername=token",
        "--cassandraPassword=file:" + stack.astraTokenFile(), "--keyspace=" + stack.keyspace(), "--table=orders",
        "--mapping=" + IngestTestSupport.ORDERS_MAPPING, "--dedupBy=message-id", "--windowType=none"));
    for (String e : extra) { // an extra option replaces the default of the same name
      String name = e.substring(0, e.indexOf('=') + 1);
      args.removeIf(a -> a.startsWith(name));
      args.add(e);
    }
    BridgeOptions options = PipelineOptionsFactory.fromArgs(args.toArray(new String[0])).withValidation().as(BridgeOptions.class);
    options.as(DirectOptions.class).setBlockOnRun(false);
    return options;
  }

  @Test
  void sameIdThreeTimesIsOneRowAndMalformedPayloadsReachTheDeadLetterTopic(LocalStack stack) throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    TopicName topic = TopicName.of(stack.pubsubProject(), "orders-it-" + suffix);
    SubscriptionName subscription = SubscriptionName.of(stack.pubsubProject(), "orders-it-sub-" + suffix);
    TopicName deadTopic = TopicName.of(stack.pubsubProject(), "dead-it-" + suffix);
    SubscriptionName deadSubscription = SubscriptionName.of(stack.pubsubProject(), "dead-it-sub-" + suffix);
    ManagedChannel channel = ManagedChannelBuilder.forTarget(stack.pubsubEmulatorHost()).usePlaintext().build();
    var channels = FixedTransportChannelProvider.create(GrpcTransportChannel.create(channel));
    var noCredentials = NoCredentialsProvider.create();
    PipelineResult job = null;
    try (TopicAdminClient topics = TopicAdminClient.create(TopicAdminSettings.newBuilder()
            .setTransportChannelProvider(channels).setCredentialsProvider(noCredentials).build());
         SubscriptionAdminClient subscriptions = SubscriptionAdminClient.create(SubscriptionAdminSettings.newBuilder()
            .setTransportChannelProvider(channels).setCredentialsProvider(noCredentials).build());
         CqlSession session = IngestTestSupport.session(stack)) {
      topics.createTopic(topic);
      topics.createTopic(deadTopic);
      subscriptions.createSubscription(subscription, topic, PushConfig.getDefaultInstance(), 60);
      subscriptions.createSubscription(deadSubscription, deadTopic, PushConfig.getDefaultInstance(), 60);

      BridgeOptions options = options(stack, subscription.toString(), "--pubsubIdAttribute=event_id",
          "--deadLetter=pubsub:" + deadTopic);
      job = BridgeMain.run(options);

      Publisher publisher = Publisher.newBuilder(topic).setChannelProvider(channels).setCredentialsProvider(noCredentials).build();
      List<UUID> ids = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        UUID id = UUID.randomUUID();
        ids.add(id);
        PubsubMessage message = PubsubMessage.newBuilder().setData(ByteString.copyFrom(bytes(order(id, 1, OrderStatus.PAID, Instant.now()))))
            .putAttributes("event_id", "e-" + id).build();
        for (int copy = 0; copy < (i == 0 ? 3 : 1); copy++) {
          publisher.publish(message).get(10, TimeUnit.SECONDS); // the same id attribute: Pub/Sub-level duplicates
        }
      }
      for (int i = 0; i < 2; i++) {
        publisher.publish(PubsubMessage.newBuilder().setData(ByteString.copyFromUtf8("garbage " + i))
            .putAttributes("event_id", "bad-" + i).putAttributes("origin", "it").build()).get(10, TimeUnit.SECONDS);
      }
      publisher.shutdown();

      await("50 rows", 90, () -> IngestTestSupport.rows(session, ids).size() == 50);
      List<ReceivedMessage> dead = new ArrayList<>();
      try (GrpcSubscriberStub subscriber = GrpcSubscriberStub.create(SubscriberStubSettings.newBuilder()
          .setTransportChannelProvider(channels).setCredentialsProvider(noCredentials).build())) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (dead.size() < 2 && System.nanoTime() < deadline) {
          List<ReceivedMessage> got = subscriber.pullCallable().call(PullRequest.newBuilder()
              .setSubscription(deadSubscription.toString()).setMaxMessages(10).build()).getReceivedMessagesList();
          for (ReceivedMessage m : got) {
            dead.add(m);
            subscriber.acknowledgeCallable().call(AcknowledgeRequest.newBuilder()
                .setSubscription(deadSubscription.toString()).addAckIds(m.getAckId()).build());
          }
        }
      }
      assertThat(IngestTestSupport.rows(session, ids)).hasSize(50)
          .allSatisfy(r -> assertThat(r.getString("source_message_id")).startsWith("e-"));
      assertThat(dead).hasSize(2).allSatisfy(m -> {
        assertThat(m.getMessage().getData().toStringUtf8()).startsWith("garbage ");
        assertThat(m.getMessage().getAttributesMap()).containsEntry("dl.stage", "decode").containsEntry("origin", "it")
            .containsKey("dl.error").containsEntry("dl.target", "astra_bridge.orders");
      });
    } finally {
      if (job != null) {
        job.cancel();
      }
      channel.shutdownNow();
    }
  }

  /**
   * --pubsubTimestampAttribute: the event time of each message comes from the attribute (RFC 3339 or epoch millis;
   * the row's write time shows it); a message whose attribute is missing or unparseable is dead-lettered with the
   * reason while the others flow (PubsubIO's own timestamp attribute would fail the source on it, forever).
   */
  @Test
  void eventTimesComeFromTheTimestampAttributeAndBadOnesAreDeadLettered(LocalStack stack) throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    try (PubsubTestClient pubsub = new PubsubTestClient(stack); CqlSession session = IngestTestSupport.session(stack)) {
      String topic = pubsub.createTopic("ts-it-" + suffix);
      pubsub.addSubscription(topic, "ts-it-sub-" + suffix, 60, false);
      String subscription = pubsub.subscription("ts-it-sub-" + suffix);
      PipelineResult job = BridgeMain.run(options(stack, subscription, "--pubsubTimestampAttribute=ts",
          "--deadLetter=cassandra:" + stack.keyspace() + ".dead_letter"));
      try {
        Instant base = Instant.now().minusSeconds(30).truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
        List<UUID> ids = new ArrayList<>();
        List<PubsubMessage> messages = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
          UUID id = UUID.randomUUID();
          ids.add(id);
          Instant eventTime = base.plusMillis(i);
          messages.add(PubsubMessage.newBuilder().setData(ByteString.copyFrom(bytes(order(id, 1, OrderStatus.PAID,
              Instant.now())))).putAttributes("ts", i % 2 == 0 ? eventTime.toString()
                  : Long.toString(eventTime.toEpochMilli())).build());
        }
        messages.add(PubsubMessage.newBuilder().setData(ByteString.copyFromUtf8("no ts")).build());
        messages.add(PubsubMessage.newBuilder().setData(ByteString.copyFromUtf8("bad ts")).putAttributes("ts",
            "yesterday").build());
        pubsub.publishAll(topic, messages);

        await("10 rows", 90, () -> IngestTestSupport.rows(session, ids).size() == 10);
        await("2 dead letters", 60, () -> IngestTestSupport.deadLetters(session, "pubsub:" + subscription).size() == 2);
        for (int i = 0; i < 10; i++) {
          long writeTime = session.execute("SELECT WRITETIME(status) FROM orders WHERE order_id = ?", ids.get(i)).one()
              .getLong(0);
          assertThat(writeTime).as("write time = the attribute's event time").isEqualTo(base.plusMillis(i)
              .toEpochMilli() * 1000);
        }
        assertThat(IngestTestSupport.deadLetters(session, "pubsub:" + subscription))
            .extracting(r -> r.getString("error")).containsExactlyInAnyOrder(
                "the timestamp attribute ts is missing",
                "the timestamp attribute ts='yesterday' is neither RFC 3339 nor epoch milliseconds");
      } finally {
        job.cancel();
      }
    }
  }

  /**
   * Rollup windows close on a subscription that goes quiet after a burst, with deduplication on: only the on-time
   * pane is written (early firings off), so a row means the watermark passed the window's end. Beam's Pub/Sub reader
   * alone keeps the watermark at the beginning of time in a reader that got none of the burst (the DirectRunner runs
   * several) and a minute behind in one that got some, and the dedup step held it for the allowed lateness (5
   * minutes); with --pubsubIdleTimeout=3s the windows close within seconds.
   */
  @Test
  void rollupWindowsCloseWhenTheSubscriptionGoesQuiet(LocalStack stack) throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    try (PubsubTestClient pubsub = new PubsubTestClient(stack); CqlSession session = IngestTestSupport.session(stack)) {
      String topic = pubsub.createTopic("rollup-it-" + suffix);
      pubsub.addSubscription(topic, "rollup-it-sub-" + suffix, 60, false);
      String subscription = pubsub.subscription("rollup-it-sub-" + suffix);
      PipelineResult job = BridgeMain.run(options(stack, subscription, "--windowType=fixed", "--windowSize=5s",
          "--earlyFiring=1h", "--rollupTable=order_rollups", "--rollupKeys=status", "--rollupFields=amount",
          "--pubsubIdleTimeout=3s", "--deadLetter=cassandra:" + stack.keyspace() + ".dead_letter"));
      try {
        Thread.sleep(3000); // the readers started
        Instant before = Instant.now().minusSeconds(5);
        List<UUID> ids = new ArrayList<>();
        List<PubsubMessage> burst = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
          UUID id = UUID.randomUUID();
          ids.add(id);
          burst.add(PubsubMessage.newBuilder().setData(ByteString.copyFrom(bytes(order(id, 1, OrderStatus.CANCELLED,
              Instant.now())))).build());
        }
        pubsub.publishAll(topic, burst);
        long published = System.nanoTime();
        await("40 rows", 60, () -> IngestTestSupport.rows(session, ids).size() == 40);
        // windows of 5 s from the publish times: the burst's 40 orders, counted by the on-time panes
        await("the burst's rollup windows closed", 45, () -> session.execute("SELECT count FROM order_rollups WHERE"
            + " status = 'CANCELLED' AND window_start >= ?", before).all().stream().mapToLong(r -> r.getLong(0)).sum()
            == 40);
        System.out.printf("rollup windows closed %.1f s after the burst was published%n",
            (System.nanoTime() - published) / 1e9);
      } finally {
        job.cancel();
      }
    }
  }

  static String json(org.apache.avro.specific.SpecificRecord record) throws java.io.IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    org.apache.avro.io.JsonEncoder encoder = org.apache.avro.io.EncoderFactory.get().jsonEncoder(record.getSchema(), out);
    new org.apache.avro.specific.SpecificDatumWriter<org.apache.avro.specific.SpecificRecord>(record.getSchema()).write(record, encoder);
    encoder.flush();
    return out.toString(java.nio.charset.StandardCharsets.UTF_8);
  }

  /**
   * JSON payloads (Avro's JSON encoding of OrderEvent) from Pub/Sub, with one of each kind of bad record: each goes to
   * the dead-letter table with its stage and reason while the good ones are written.
   */
  @Test
  void jsonPayloadsFlowAndEachKindOfBadRecordIsDeadLetteredWithItsReason(LocalStack stack) throws Exception {
    String suffix = UUID.randomUUID().toString().substring(0, 8);
    PipelineResult job = null;
    try (dev.astrabridge.bridge.PubsubTestClient pubsub = new dev.astrabridge.bridge.PubsubTestClient(stack);
         CqlSession session = IngestTestSupport.session(stack)) {
      String topic = pubsub.createTopic("json-it-" + suffix, "json-it-sub-" + suffix);
      String subscription = pubsub.subscription("json-it-sub-" + suffix);
      BridgeOptions options = options(stack, subscription, "--payloadEncoding=json",
          "--deadLetter=cassandra:" + stack.keyspace() + ".dead_letter");
      job = BridgeMain.run(options);

      List<UUID> ids = new ArrayList<>();
      List<PubsubMessage> messages = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        UUID id = UUID.randomUUID();
        ids.add(id);
        messages.add(PubsubMessage.newBuilder().setData(ByteString.copyFromUtf8(json(order(id, 1, OrderStatus.PAID, Instant.now()))))
            .putAttributes("kind", "good").build());
      }
      // a required field missing
      com.fasterxml.jackson.databind.node.ObjectNode missing = (com.fasterxml.jackson.databind.node.ObjectNode)
          new com.fasterxml.jackson.databind.ObjectMapper().readTree(json(order(UUID.randomUUID(), 1, OrderStatus.PAID, Instant.now())));
      missing.remove("status");
      messages.add(PubsubMessage.newBuilder().setData(ByteString.copyFromUtf8(missing.toString())).putAttributes("kind", "missing").build());
      // a record of another schema (a telemetry reading)
      messages.add(PubsubMessage.newBuilder().setData(ByteString.copyFromUtf8("{\"device_id\": \"d-1\", \"temperature_c\": 20.5}"))
          .putAttributes("kind", "wrong-schema").build());
      // a value its column cannot take: the currency code (fixed(3)) into an ascii column, with a non-ASCII byte
      dev.astrabridge.schemas.events.OrderEvent euro = order(UUID.randomUUID(), 1, OrderStatus.PAID, Instant.now());
      euro.setCurrency(new dev.astrabridge.schemas.events.CurrencyCode(new byte[] {(byte) 0xE9, 'U', 'R'}));
      messages.add(PubsubMessage.newBuilder().setData(ByteString.copyFromUtf8(json(euro))).putAttributes("kind", "mapping").build());
      // a row over the 1 MiB limit
      dev.astrabridge.schemas.events.OrderEvent big = order(UUID.randomUUID(), 1, OrderStatus.PAID, Instant.now());
      big.setCouponCode("x".repeat(1_200_000));
      messages.add(PubsubMessage.newBuilder().setData(ByteString.copyFromUtf8(json(big))).putAttributes("kind", "oversize").build());
      pubsub.publishAll(topic, messages);

      await("20 rows", 90, () -> IngestTestSupport.rows(session, ids).size() == 20);
      await("4 dead letters", 60, () -> IngestTestSupport.deadLetters(session, "pubsub:" + subscription).size() >= 4);
      Thread.sleep(2000);
      List<com.datastax.oss.driver.api.core.cql.Row> dead = IngestTestSupport.deadLetters(session, "pubsub:" + subscription);
      assertThat(dead).extracting(r -> r.getString("stage") + " | " + r.getString("error")).hasSize(4)
          .anySatisfy(e -> assertThat(e).startsWith("decode | ").contains("status"))
          .anySatisfy(e -> assertThat(e).startsWith("decode | ").containsIgnoringCase("order_id"))
          .anySatisfy(e -> assertThat(e).startsWith("map | ").contains("not ASCII"))
          .anySatisfy(e -> assertThat(e).startsWith("map | ").contains("over the limit"));
      assertThat(dead).allSatisfy(r -> assertThat(r.getByteBuffer("payload").remaining()).isPositive());
    } finally {
      if (job != null) {
        job.cancel();
      }
    }
  }
}
