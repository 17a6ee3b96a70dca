package dev.loombench.orders.webflux.messaging.consumer;

import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

import org.springframework.r2dbc.core.DatabaseClient;

import dev.loombench.orders.domain.event.EventMeters;
import dev.loombench.orders.domain.event.EventSql;
import dev.loombench.orders.domain.event.OrderEvent;
import dev.loombench.orders.domain.event.OrderEventCodec;
import dev.loombench.orders.domain.event.PoisonMessageException;
import dev.loombench.orders.webflux.downstream.InventoryClient;
import dev.loombench.orders.webflux.messaging.Broker;
import dev.loombench.orders.webflux.messaging.MessagingProperties;

/**
 * The consumer's work for one message, the same for both brokers: parse it, ask the inventory service (the I/O
 * part, outside any transaction), then in one statement ({@link EventSql#APPLY_EVENT}, its own transaction) record
 * the event id in the inbox and, only when it is new, apply it to the projection. A redelivered event therefore
 * changes nothing but {@code inbox.duplicates}.
 * <p>
 * Completes when the event is applied or recognised as a duplicate: that is when the listener acknowledges it.
 * Fails with {@link PoisonMessageException} at once for an unreadable message, or with
 * {@link EventProcessingFailedException} once downstream or database failures used up all attempts; either way the
 * message is then dead-lettered by the broker adapter.
 * <p>
 * {@link EventMeters#CONSUMER_EVENTS} times every attempt from its subscription to its end (the listener containers'
 * own timers stop when the listener returns its Mono), tagged with the broker and the outcome, as order-mvc does.
 */
public class OrderEventProcessor {

    private final InventoryClient inventory;

    private final DatabaseClient database;

    private final Broker broker;

    private final MessagingProperties.Consumer settings;

    private final Retry retry;

    private final Timer processed;

    private final Timer duplicate;

    private final Timer failed;

    public OrderEventProcessor(InventoryClient inventory, DatabaseClient database, Broker broker,
            MessagingProperties.Consumer settings, MeterRegistry meters) {
        this.inventory = inventory;
        this.database = database;
        this.broker = broker;
        this.settings = settings;
        this.retry = Retry.fixedDelay(settings.maxAttempts() - 1L, settings.backoff())
            .filter((failure) -> !(failure instanceof PoisonMessageException))
            .onRetryExhaustedThrow((spec, signal) -> new EventProcessingFailedException(
                    "failed after " + settings.maxAttempts() + " attempts: " + signal.failure(), signal.failure()));
        this.processed = timer(meters, EventMeters.PROCESSED);
        this.duplicate = timer(meters, EventMeters.DUPLICATE);
        this.failed = timer(meters, EventMeters.FAILED);
    }

    public MessagingProperties.Consumer settings() {
        return this.settings;
    }

    /** A poison message fails its first attempt and is not retried: parsing it again cannot help. */
    public Mono<Void> process(String payload) {
        return attempt(payload).retryWhen(this.retry).then();
    }

    private Mono<Boolean> attempt(String payload) {
        return Mono.defer(() -> {
            long start = System.nanoTime();
            return Mono.fromCallable(() -> OrderEventCodec.parse(payload))
                .flatMap(this::apply)
                .doOnSuccess((applied) -> record(Boolean.TRUE.equals(applied) ? this.processed : this.duplicate, start))
                .doOnError((ex) -> record(this.failed, start));
        });
    }

    /** Emits true when the event was new and applied, false for a duplicate. */
    private Mono<Boolean> apply(OrderEvent event) {
        return this.inventory.check(event.productId(), this.settings.delayMs())
            .flatMap((stock) -> this.database.sql(EventSql.APPLY_EVENT)
                .bind("eventId", event.eventId())
                .bind("broker", this.broker.wireName())
                .bind("orderId", event.orderId())
                .bind("customerId", event.customerId())
                .bind("totalCents", event.totalCents())
                .bind("stock", stock.stock())
                .bind("stage", event.stage())
                .map((row) -> row.get("inserted", Boolean.class))
                .one());
    }

    private Timer timer(MeterRegistry meters, String outcome) {
        return Timer.builder(EventMeters.CONSUMER_EVENTS)
            .description("One attempt at a consumed message: parse, downstream call, inbox transaction")
            .tag(EventMeters.BROKER, this.broker.wireName())
            .tag(EventMeters.OUTCOME, outcome)
            .register(meters);
    }

    private static void record(Timer timer, long start) {
        timer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    }
}
