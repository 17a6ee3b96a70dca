package dev.loombench.orders.webflux.messaging.consumer;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

import reactor.core.publisher.Mono;

import dev.loombench.orders.domain.event.ConsumerOrdering;

/**
 * {@code ORDERS_CONSUMER_ORDERING=per-key}: the work of a record starts only once the previous record of the same key
 * has finished, while records of different keys still run at once. The listeners complete the records of a poll (or
 * a prefetch) concurrently, so without this two events of one order can overtake each other.
 * <p>
 * Order is the order of subscription: the listener containers subscribe on their consumer thread, one record after
 * the other in delivery order, so the chain follows the broker's order for one container. Each key holds only its
 * tail, a future completed when the newest record of the key ends (success, failure or cancellation), removed once it
 * is still the tail when it completes: a key with nothing in flight costs nothing.
 * <p>
 * Wrap it inside the {@link InFlightLimiter}, never around it: a waiting record holds its permit, but its predecessor
 * was subscribed first and holds one too, so every chain makes progress; the other way round, a record's permit would
 * be taken on the thread that finished its predecessor, an event loop that must not block.
 */
public final class PerKeyOrder {

    private final ConsumerOrdering ordering;

    private final ConcurrentMap<String, CompletableFuture<Void>> tails = new ConcurrentHashMap<>();

    public PerKeyOrder(ConsumerOrdering ordering) {
        this.ordering = ordering;
    }

    public ConsumerOrdering ordering() {
        return this.ordering;
    }

    /** Keys with a record in flight (for tests: an idle key leaves nothing behind). */
    public int keysInFlight() {
        return this.tails.size();
    }

    /** {@code work} after the previous work of {@code key}; unchained with {@code none} or without a key. */
    public <T> Mono<T> after(String key, Mono<T> work) {
        if (this.ordering == ConsumerOrdering.NONE || key == null) {
            return work;
        }
        return Mono.defer(() -> {
            CompletableFuture<Void> done = new CompletableFuture<>();
            CompletableFuture<Void> previous = this.tails.put(key, done);
            // suppressCancel: cancelling this record must not complete its predecessor's future early.
            Mono<Void> turn = (previous != null) ? Mono.fromFuture(previous, true) : Mono.empty();
            return turn.then(work).doFinally((signal) -> {
                this.tails.remove(key, done);
                done.complete(null);
            });
        });
    }
}
