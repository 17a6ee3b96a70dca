package dev.loombench.orders.webflux.messaging.consumer;

import java.util.concurrent.Semaphore;

import reactor.core.publisher.Mono;

/**
 * The WebFlux consumer's backpressure: at most {@code maxInFlight} events of this app are being processed at once,
 * whatever the broker, the listener concurrency or the prefetch.
 * <p>
 * A permit is taken when the container subscribes to the listener's {@code Mono} and given back when it terminates
 * or is cancelled. Both spring-kafka and Spring AMQP subscribe on their own listener (consumer) thread, never on an
 * event loop, so when every permit is taken it is that thread that waits: it stops taking records or messages from
 * its consumer, exactly what pausing the consumer would do, while the events in flight complete on the R2DBC and
 * Netty loops and free permits. The broker side stays bounded too: RabbitMQ sends at most prefetch unacknowledged
 * messages per consumer, and a Kafka container polls again only once the previous poll is fully acknowledged.
 */
public final class InFlightLimiter {

    private final int maxInFlight;

    private final Semaphore permits;

    public InFlightLimiter(int maxInFlight) {
        this.maxInFlight = maxInFlight;
        this.permits = new Semaphore(maxInFlight);
    }

    public <T> Mono<T> limit(Mono<T> work) {
        return Mono.using(this::acquire, (permit) -> work, (permit) -> this.permits.release());
    }

    public int maxInFlight() {
        return this.maxInFlight;
    }

    public int inFlight() {
        return this.maxInFlight - this.permits.availablePermits();
    }

    /** Uninterruptible: every permit comes back when its Mono ends, and each step of the work has a timeout. */
    private Semaphore acquire() {
        this.permits.acquireUninterruptibly();
        return this.permits;
    }
}
