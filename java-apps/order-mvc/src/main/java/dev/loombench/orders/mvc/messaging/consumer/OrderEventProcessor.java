package dev.loombench.orders.mvc.messaging.consumer;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import org.springframework.jdbc.core.simple.JdbcClient;

import dev.loombench.orders.domain.event.EventMeters;
import dev.loombench.orders.domain.event.EventSql;
import dev.loombench.orders.domain.event.OrderEvent;
import dev.loombench.orders.domain.event.OrderEventCodec;
import dev.loombench.orders.domain.event.PoisonMessageException;
import dev.loombench.orders.domain.inventory.Inventory;
import dev.loombench.orders.mvc.downstream.InventoryClient;
import dev.loombench.orders.mvc.messaging.Broker;

/**
 * The consumer's work for one message, the same for both brokers: parse, ask the inventory service (outside any
 * transaction: no connection is held while it waits), then record the event in the inbox and, the first time
 * only, apply it to the projection, in one statement ({@link EventSql#APPLY_EVENT}, its own transaction). The
 * listener acknowledges after this returns, i.e. after the commit, so a crash in between redelivers an event the
 * inbox then recognises.
 * <p>
 * Each call is one attempt (the listener containers retry by calling again): {@link EventMeters#CONSUMER_EVENTS}
 * times it with its outcome, and {@link EventMeters#CONSUMER_IN_FLIGHT} counts the calls in progress, as in
 * order-webflux.
 */
public class OrderEventProcessor {

    private final InventoryClient inventory;

    private final JdbcClient jdbc;

    private final Broker broker;

    private final long delayMs;

    private final AtomicInteger inFlight = new AtomicInteger();

    private final Timer processed;

    private final Timer duplicate;

    private final Timer failed;

    public OrderEventProcessor(InventoryClient inventory, JdbcClient jdbc, Broker broker, long delayMs,
            MeterRegistry meters) {
        this.inventory = inventory;
        this.jdbc = jdbc;
        this.broker = broker;
        this.delayMs = delayMs;
        this.processed = timer(meters, EventMeters.PROCESSED);
        this.duplicate = timer(meters, EventMeters.DUPLICATE);
        this.failed = timer(meters, EventMeters.FAILED);
        Gauge.builder(EventMeters.CONSUMER_IN_FLIGHT, this.inFlight, AtomicInteger::get)
            .description("Consumed messages being worked on right now (listener calls in progress)")
            .register(meters);
    }

    public long delayMs() {
        return this.delayMs;
    }

    /**
     * @return true when the event was applied, false when the inbox already held it (a redelivery)
     * @throws PoisonMessageException when the payload is no event of the lifecycle ({@code OrderEventType}):
     *         retrying cannot help
     */
    public boolean process(String payload) {
        this.inFlight.incrementAndGet();
        long start = System.nanoTime();
        Timer outcome = this.failed;
        try {
            OrderEvent event = OrderEventCodec.parse(payload);
            Inventory stock = this.inventory.check(event.productId(), this.delayMs);
            boolean applied = apply(event, stock);
            outcome = applied ? this.processed : this.duplicate;
            return applied;
        }
        finally {
            outcome.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
            this.inFlight.decrementAndGet();
        }
    }

    private boolean apply(OrderEvent event, Inventory stock) {
        return this.jdbc.sql(EventSql.APPLY_EVENT)
            .param("eventId", event.eventId())
            .param("broker", this.broker.wireName())
            .param("orderId", event.orderId())
            .param("customerId", event.customerId())
            .param("totalCents", event.totalCents())
            .param("stock", stock.stock())
            .param("stage", event.stage())
            .query(Boolean.class)
            .single();
    }

    private Timer timer(MeterRegistry meters, String outcome) {
        return Timer.builder(EventMeters.CONSUMER_EVENTS)
            .description("One attempt at a consumed message: parse, downstream call, inbox transaction")
            .tag(EventMeters.BROKER, this.broker.wireName())
            .tag(EventMeters.OUTCOME, outcome)
            .register(meters);
    }
}
