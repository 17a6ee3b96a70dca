package dev.loombench.orders.webflux.messaging.consumer;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

import dev.loombench.orders.domain.event.ConsumerOrdering;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Per-key order as the listeners use it: records are subscribed one after the other and completed later, in any
 * order. Each record's work logs when it starts and finishes when its sink is told to.
 */
class PerKeyOrderTest {

    private final List<String> started = new CopyOnWriteArrayList<>();

    private Mono<Void> work(String name, Sinks.Empty<Void> finish) {
        return Mono.fromRunnable(() -> this.started.add(name)).then(finish.asMono());
    }

    @Test
    void aRecordWaitsForThePreviousOneOfItsKeyWhileOtherKeysRun() {
        PerKeyOrder order = new PerKeyOrder(ConsumerOrdering.PER_KEY);
        Sinks.Empty<Void> created = Sinks.empty();
        Sinks.Empty<Void> paid = Sinks.empty();
        Sinks.Empty<Void> other = Sinks.empty();
        Sinks.Empty<Void> shipped = Sinks.empty();

        order.after("1", work("1:created", created)).subscribe();
        order.after("1", work("1:paid", paid)).subscribe();
        order.after("2", work("2:created", other)).subscribe();
        order.after("1", work("1:shipped", shipped)).subscribe();
        assertThat(this.started).containsExactly("1:created", "2:created");

        created.tryEmitEmpty();
        assertThat(this.started).containsExactly("1:created", "2:created", "1:paid");
        other.tryEmitEmpty();
        paid.tryEmitEmpty();
        assertThat(this.started).containsExactly("1:created", "2:created", "1:paid", "1:shipped");
        shipped.tryEmitEmpty();
        assertThat(order.keysInFlight()).as("an idle key leaves no tail behind").isZero();
    }

    @Test
    void aFailedOrCancelledRecordStillLetsTheNextOneOfItsKeyRun() {
        PerKeyOrder order = new PerKeyOrder(ConsumerOrdering.PER_KEY);
        Sinks.Empty<Void> failing = Sinks.empty();
        Sinks.Empty<Void> cancelled = Sinks.empty();
        Sinks.Empty<Void> last = Sinks.empty();

        order.after("7", work("failing", failing)).onErrorResume((ex) -> Mono.empty()).subscribe();
        Disposable second = order.after("7", work("cancelled", cancelled)).subscribe();
        order.after("7", work("last", last)).subscribe();

        failing.tryEmitError(new IllegalStateException("dead-lettered"));
        assertThat(this.started).containsExactly("failing", "cancelled");
        second.dispose();
        assertThat(this.started).containsExactly("failing", "cancelled", "last");
        last.tryEmitEmpty();
        assertThat(order.keysInFlight()).isZero();
    }

    @Test
    void withoutOrderingOrWithoutAKeyRecordsStartAtOnce() {
        PerKeyOrder none = new PerKeyOrder(ConsumerOrdering.NONE);
        none.after("1", work("a", Sinks.empty())).subscribe();
        none.after("1", work("b", Sinks.empty())).subscribe();
        PerKeyOrder perKey = new PerKeyOrder(ConsumerOrdering.PER_KEY);
        perKey.after(null, work("c", Sinks.empty())).subscribe();
        perKey.after(null, work("d", Sinks.empty())).subscribe();

        assertThat(this.started).containsExactly("a", "b", "c", "d");
        assertThat(none.keysInFlight() + perKey.keysInFlight()).isZero();
    }
}
