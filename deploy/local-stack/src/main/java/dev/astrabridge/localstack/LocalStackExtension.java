package dev.astrabridge.localstack;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 access to the real local stack: {@code @ExtendWith(LocalStackExtension.class)} on an integration test,
 * then take a {@link LocalStack} parameter. The stack is started at most once per test JVM (reused when already up)
 * and what this JVM started is stopped when the whole run ends.
 */
public final class LocalStackExtension implements BeforeAllCallback, ParameterResolver {
  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(LocalStackExtension.class);

  @Override
  public void beforeAll(ExtensionContext context) {
    stack(context);
  }

  private static LocalStack stack(ExtensionContext context) {
    // Stored in the root context: closed once, after the last test class of the run.
    return context.getRoot().getStore(NAMESPACE)
        .getOrComputeIfAbsent(Holder.class, k -> new Holder(LocalStack.get()), Holder.class).stack;
  }

  @Override
  public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
    return parameterContext.getParameter().getType() == LocalStack.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
    return stack(extensionContext);
  }

  private record Holder(LocalStack stack) implements ExtensionContext.Store.CloseableResource, AutoCloseable {
    @Override
    public void close() {
      stack.stopWhatWasStarted();
    }
  }
}
