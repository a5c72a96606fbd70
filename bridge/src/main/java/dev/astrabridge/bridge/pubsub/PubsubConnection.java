package dev.astrabridge.bridge.pubsub;

import com.google.api.gax.core.CredentialsProvider;
import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.InstantiatingGrpcChannelProvider;
import com.google.api.gax.rpc.TransportChannelProvider;
import com.google.cloud.pubsub.v1.Publisher;
import com.google.cloud.pubsub.v1.TopicAdminSettings;
import io.grpc.ManagedChannelBuilder;
import java.io.Serializable;
import java.net.URI;
import java.util.Objects;

/**
 * Where the Pub/Sub publisher connects: Google's endpoint with Application Default Credentials, or an emulator in
 * plain text without credentials. Derived from Beam's {@code --pubsubRootUrl}, so one option serves Beam's reader
 * and this publisher.
 */
public final class PubsubConnection implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String endpoint;
  private final boolean plaintext;

  private PubsubConnection(String endpoint, boolean plaintext) {
    this.endpoint = endpoint;
    this.plaintext = plaintext;
  }

  /** From Beam's --pubsubRootUrl: https://pubsub.googleapis.com (Google) or http://localhost:8085 (emulator). */
  public static PubsubConnection fromRootUrl(String rootUrl) {
    URI uri;
    try {
      uri = URI.create(Objects.requireNonNull(rootUrl, "rootUrl"));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'" + rootUrl + "' is not a URL like https://pubsub.googleapis.com or"
          + " http://localhost:8085", e);
    }
    if (uri.getHost() == null || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
      throw new IllegalArgumentException("'" + rootUrl + "' is not a URL like https://pubsub.googleapis.com or"
          + " http://localhost:8085");
    }
    boolean plaintext = "http".equals(uri.getScheme());
    int port = uri.getPort() > 0 ? uri.getPort() : plaintext ? 80 : 443;
    return new PubsubConnection(uri.getHost() + ":" + port, plaintext);
  }

  public static PubsubConnection google() {
    return new PubsubConnection(TopicAdminSettings.getDefaultEndpoint(), false);
  }

  public String endpoint() {
    return endpoint;
  }

  public boolean isEmulator() {
    return plaintext;
  }

  /** A publisher builder for the topic, pointed at this endpoint (the caller sets batching, ordering). */
  Publisher.Builder publisher(String topic) {
    Publisher.Builder builder = Publisher.newBuilder(topic);
    if (plaintext) {
      // an instantiating provider: the publisher creates the channel and closes it on shutdown
      TransportChannelProvider channels = InstantiatingGrpcChannelProvider.newBuilder().setEndpoint(endpoint)
          .setChannelConfigurator(ManagedChannelBuilder::usePlaintext).build();
      CredentialsProvider none = NoCredentialsProvider.create();
      builder.setChannelProvider(channels).setCredentialsProvider(none);
    } else {
      builder.setEndpoint(endpoint);
    }
    return builder;
  }

  @Override
  public String toString() {
    return (plaintext ? "emulator " : "") + endpoint;
  }
}
