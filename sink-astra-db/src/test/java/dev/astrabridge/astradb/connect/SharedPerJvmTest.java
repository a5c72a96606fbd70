package dev.astrabridge.astradb.connect;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SharedPerJvmTest {
  @Test
  void oneValuePerKeyClosedWithItsLastUser() {
    List<String> closed = new ArrayList<>();
    AtomicInteger opened = new AtomicInteger();
    SharedPerJvm<String> shared = new SharedPerJvm<>(closed::add, 0);
    var a = shared.acquire("k", () -> "v" + opened.incrementAndGet());
    var b = shared.acquire("k", () -> "v" + opened.incrementAndGet());
    assertThat(a.get()).isSameAs(b.get()).isEqualTo("v1");
    a.close();
    a.close(); // a lease releases once
    assertThat(closed).isEmpty();
    b.close();
    assertThat(closed).containsExactly("v1");
    assertThat(shared.acquire("k", () -> "v" + opened.incrementAndGet()).get()).isEqualTo("v2");
  }

  @Test
  void aLingeringValueIsTakenOverAndClosedOnlyAfterTheLinger() throws Exception {
    List<String> closed = new ArrayList<>();
    SharedPerJvm<String> shared = new SharedPerJvm<>(v -> {
      synchronized (closed) {
        closed.add(v);
      }
    }, 300);
    shared.acquire("k", () -> "first").close();
    assertThat(shared.acquire("k", () -> "second").get()).as("taken over while lingering").isEqualTo("first");
    shared.acquire("other", () -> "o").close();
    Thread.sleep(800);
    synchronized (closed) {
      assertThat(closed).containsExactly("o");
    }
    shared.closeAll();
    assertThat(closed).contains("first");
    assertThat(shared.size()).isZero();
  }
}
