package dev.astrabridge.astradb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import dev.astrabridge.astradb.connect.AstraDbConnection;
import dev.astrabridge.astradb.connect.SecretRef;
import dev.astrabridge.astradb.decode.PayloadFormat;
import dev.astrabridge.astradb.mapping.Expression;
import dev.astrabridge.astradb.mapping.MappingSpec;
import dev.astrabridge.schemas.envelope.BridgeMessage;
import dev.astrabridge.schemas.events.OrderEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.extensions.avro.coders.AvroCoder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.display.DisplayData;
import org.apache.commons.lang3.SerializationUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** AstraDbIO's configuration surface, without a server. */
class AstraDbIOTest {
  static final String TOKEN = "AstraCS:secret-value-that-must-never-show:0123456789abcdef";

  @Test
  void displayDataNamesSecretReferencesButNeverTheirValues(@TempDir Path dir) throws Exception {
    Path tokenFile = Files.writeString(dir.resolve("token"), TOKEN);
    AstraDbIO.Write literal = AstraDbIO.write()
        .withConnection(AstraDbConnection.astra(SecretRef.of("path:/secrets/scb.zip"), SecretRef.of(TOKEN)))
        .withTable("ks", "t").withPayloadFormat(PayloadFormat.avroBinary(OrderEvent.getClassSchema()));
    AstraDbIO.Write fromFile = AstraDbIO.write()
        .withConnection(AstraDbConnection.cassandra(List.of("127.0.0.1:9042"), "dc1")
            .withCredentials("token", SecretRef.file(tokenFile.toString())))
        .withTable("ks", "t").withPayloadFormat(PayloadFormat.avroBinary(OrderEvent.getClassSchema()));

    assertThat(DisplayData.from(literal).toString()).doesNotContain(TOKEN).doesNotContain("secret-value")
        .contains("<literal>").contains("path:/secrets/scb.zip").contains("ks.t");
    assertThat(DisplayData.from(fromFile).toString()).doesNotContain(TOKEN).contains("file:" + tokenFile);
    assertThat(literal.connection().toString()).doesNotContain(TOKEN);
    assertThat(SecretRef.of(TOKEN).resolve()).isEqualTo(TOKEN);
    assertThat(SecretRef.file(tokenFile.toString()).resolve()).isEqualTo(TOKEN);
    // serializable as a whole (it travels to the workers)
    assertThat(SerializationUtils.roundtrip(literal).connection()).isEqualTo(literal.connection());
  }

  @Test
  void connectionsThatDifferOnlyInALiteralTokenNeverShareASession() {
    AstraDbConnection a = AstraDbConnection.astra(SecretRef.of("path:/scb.zip"), SecretRef.of("AstraCS:one"));
    AstraDbConnection b = AstraDbConnection.astra(SecretRef.of("path:/scb.zip"), SecretRef.of("AstraCS:two"));
    assertThat(a.toString()).isEqualTo(b.toString()); // both show <literal>
    assertThat(a.sessionKey()).isNotEqualTo(b.sessionKey()).doesNotContain("AstraCS:one");
    assertThat(a.sessionKey()).isEqualTo(AstraDbConnection.astra(SecretRef.of("path:/scb.zip"), SecretRef.of("AstraCS:one")).sessionKey());
  }

  @Test
  void missingSettingsFailAtConstructionNamingTheMethod() {
    Pipeline pipeline = Pipeline.create(PipelineOptionsFactory.create());
    var input = pipeline.apply(Create.empty(AvroCoder.of(BridgeMessage.class)));
    assertThatThrownBy(() -> input.apply(AstraDbIO.write())).hasMessageContaining("withConnection() is required");
    assertThatThrownBy(() -> input.apply(AstraDbIO.write().withConnection(AstraDbConnection.cassandra(List.of("h:1"), "dc"))))
        .hasMessageContaining("withTable(keyspace, table) is required");
    assertThatThrownBy(() -> AstraDbIO.write().withConsistency(DefaultConsistencyLevel.LOCAL_SERIAL))
        .hasMessageContaining("LOCAL_SERIAL is a serial level").hasMessageContaining("valid:");
    assertThatThrownBy(() -> AstraDbIO.write().withBatching(0, 10)).hasMessageContaining("withBatching: maxRows must be positive, got 0");
    assertThatThrownBy(() -> AstraDbConnection.cassandra(List.of("localhost"), "dc"))
        .hasMessageContaining("contact point 'localhost': expected host:port");
    assertThatThrownBy(() -> AstraDbConnection.cassandra(List.of("h:70000"), "dc")).hasMessageContaining("1-65535");
    assertThatThrownBy(() -> AstraDbConnection.cassandra(List.of("h:9042"), " ")).hasMessageContaining("localDatacenter");
  }

  @Test
  void mappingSyntaxIsParsedAndErrorsNameTheEntry() {
    MappingSpec spec = MappingSpec.parse("id = order_id, note = 'a, b = c', n = 42, x = 1.5, f = false, t = now(),"
        + " m = @message_id, p = @attr:origin, city = customer.address.city, __ttl = 3600, *");
    assertThat(spec.isAuto()).isTrue();
    assertThat(spec.entries()).extracting(e -> e.column() + "=" + e.expression())
        .containsExactly("id=order_id", "note='a, b = c'", "n=42", "x=1.5", "f=false", "t=now()", "m=@message_id",
            "p=@attr:origin", "city=customer.address.city", "__ttl=3600");
    assertThat(spec.entries().get(6).expression()).isInstanceOf(Expression.MetadataRef.class);
    assertThat(MappingSpec.parse("").isAuto()).isTrue();
    assertThatThrownBy(() -> MappingSpec.parse("id order_id, x = @nope, y = a..b"))
        .hasMessageContaining("mapping entry 'id order_id': expected 'column = expression'")
        .hasMessageContaining("mapping entry 'x = @nope': unknown metadata @nope; valid: @message_id")
        .hasMessageContaining("mapping entry 'y = a..b': 'a..b' is not a field path");
  }

  @Test
  void payloadFormatRejectsSeveralWriterSchemasForPlainBinary() {
    assertThatThrownBy(() -> PayloadFormat.avroBinary(OrderEvent.getClassSchema())
            .withWriterSchemas(OrderEvent.getClassSchema(), OrderEvent.getClassSchema()))
        .hasMessageContaining("single-object encoding");
  }
}
