package dev.astrabridge.bridge.secrets;

import com.google.cloud.secretmanager.v1.AccessSecretVersionRequest;
import com.google.cloud.secretmanager.v1.AccessSecretVersionResponse;
import com.google.cloud.secretmanager.v1.SecretPayload;
import com.google.protobuf.ByteString;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.CRC32C;

/**
 * A FAKE of Google Secret Manager: a real gRPC server on loopback serving the Secret Manager v1 method
 * {@code google.cloud.secretmanager.v1.SecretManagerService/AccessSecretVersion} with its real protobuf messages, from
 * a map (the generated grpc-google-cloud-secretmanager-v1 stubs are not served here, so the method is declared with
 * grpc's own descriptor API). There is no Secret Manager emulator; this is the closest real
 * part: Google's client library talks to it over real gRPC. Records which names were accessed, and from which thread.
 */
final class FakeSecretManager implements AutoCloseable {
  final Map<String, byte[]> secrets = new ConcurrentHashMap<>();
  final List<String> accessed = new CopyOnWriteArrayList<>();
  volatile boolean corruptChecksums;
  private final Server server;

  FakeSecretManager() throws IOException {
    MethodDescriptor<AccessSecretVersionRequest, AccessSecretVersionResponse> access = MethodDescriptor
        .<AccessSecretVersionRequest, AccessSecretVersionResponse>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName("google.cloud.secretmanager.v1.SecretManagerService/AccessSecretVersion")
        .setRequestMarshaller(ProtoUtils.marshaller(AccessSecretVersionRequest.getDefaultInstance()))
        .setResponseMarshaller(ProtoUtils.marshaller(AccessSecretVersionResponse.getDefaultInstance()))
        .build();
    server = ServerBuilder.forPort(0).addService(ServerServiceDefinition.builder("google.cloud.secretmanager.v1.SecretManagerService")
        .addMethod(access, ServerCalls.asyncUnaryCall(this::accessSecretVersion)).build()).build().start();
  }

  private void accessSecretVersion(AccessSecretVersionRequest request, StreamObserver<AccessSecretVersionResponse> response) {
    accessed.add(request.getName());
    byte[] value = secrets.get(request.getName());
    if (value == null) {
      response.onError(Status.NOT_FOUND.withDescription("Secret [" + request.getName() + "] not found").asRuntimeException());
      return;
    }
    CRC32C crc = new CRC32C();
    crc.update(value);
    response.onNext(AccessSecretVersionResponse.newBuilder().setName(request.getName())
        .setPayload(SecretPayload.newBuilder().setData(ByteString.copyFrom(value))
            .setDataCrc32C(corruptChecksums ? crc.getValue() + 1 : crc.getValue())).build());
    response.onCompleted();
  }

  String endpoint() {
    return "localhost:" + server.getPort();
  }

  @Override
  public void close() {
    server.shutdownNow();
  }
}
