package dev.loombench.orders.webflux.messaging.relay;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

import org.springframework.context.SmartLifecycle;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.reactive.TransactionalOperator;

import dev.loombench.orders.domain.event.EventMeters;
import dev.loombench.orders.domain.event.EventSql;
import dev.loombench.orders.webflux.messaging.MessagingProperties;

/**
 * The polling publisher of the transactional outbox. Each round, in one R2DBC transaction: claim up to
 * {@code batchSize} unpublished rows ({@code FOR UPDATE SKIP LOCKED}, so several instances never take the same
 * row), publish them, wait for every broker acknowledgement, mark them published, commit. Any failure rolls the
 * round back: the rows stay unpublished and go out on a later round (at worst twice, which the consumers' inbox
 * absorbs). A full batch starts the next round at once; otherwise the relay waits {@code pollInterval}.
 * <p>
 * One loop per app. With a {@code scheduler} (the relay's own pool, {@link RelayDatabase}) its timer and the step
 * after each claim run on that thread; without one (the shared pool) every step runs on whatever thread completes
 * the one before (R2DBC's event loops, the broker client's) and the timer on Reactor's {@code parallel}. Nothing here
 * blocks, the publishers keep their blocking calls off the event loops themselves. Counters:
 * {@link EventMeters#RELAY_PUBLISHED} (rows) and {@link EventMeters#RELAY_FAILURES} (rounds rolled back).
 */
public class OutboxRelay implements SmartLifecycle {

    private static final Log logger = LogFactory.getLog(OutboxRelay.class);

    private final DatabaseClient database;

    private final TransactionalOperator transaction;

    private final OutboxPublisher publisher;

    private final int batchSize;

    private final Duration pollInterval;

    /** The relay's own thread, or null to run on the threads of the app's pool (see {@link RelayDatabase}). */
    private final Scheduler scheduler;

    /** Upper bound on one batch's acknowledgements; a broker that is away fails the round instead of holding it. */
    private final Duration ackTimeout;

    /** Set from the first failed round to the next successful one: one WARN per outage, not one per poll. */
    private final AtomicBoolean failing = new AtomicBoolean();

    private final Counter published;

    private final Counter failures;

    private volatile Disposable loop;

    public OutboxRelay(DatabaseClient database, TransactionalOperator transaction, Scheduler scheduler,
            OutboxPublisher publisher, MessagingProperties.Relay settings, Duration ackTimeout, MeterRegistry meters) {
        this.database = database;
        this.transaction = transaction;
        this.scheduler = scheduler;
        this.publisher = publisher;
        this.batchSize = settings.batchSize();
        this.pollInterval = settings.pollInterval();
        this.ackTimeout = ackTimeout;
        this.published = Counter.builder(EventMeters.RELAY_PUBLISHED)
            .description("Outbox rows published and marked")
            .register(meters);
        this.failures = Counter.builder(EventMeters.RELAY_FAILURES)
            .description("Relay rounds rolled back (broker or database failure); their rows are retried")
            .register(meters);
    }

    public int batchSize() {
        return this.batchSize;
    }

    public Duration pollInterval() {
        return this.pollInterval;
    }

    public Duration ackTimeout() {
        return this.ackTimeout;
    }

    @Override
    public void start() {
        this.loop = rounds().subscribe();
    }

    /**
     * Cancelling an unfinished round rolls its transaction back; rows it had already published go out again after
     * a restart.
     */
    @Override
    public void stop() {
        Disposable running = this.loop;
        if (running != null) {
            running.dispose();
        }
        this.loop = null;
    }

    @Override
    public boolean isRunning() {
        Disposable running = this.loop;
        return running != null && !running.isDisposed();
    }

    private Flux<Integer> rounds() {
        return Mono.defer(this::relayBatch)
            .onErrorResume(this::outage)
            .flatMap((published) -> (published < this.batchSize)
                    ? delay().thenReturn(published) : Mono.just(published))
            .repeat();
    }

    private Mono<Long> delay() {
        return (this.scheduler != null) ? Mono.delay(this.pollInterval, this.scheduler) : Mono.delay(this.pollInterval);
    }

    /** One round; emits how many rows it published. */
    private Mono<Integer> relayBatch() {
        Mono<List<OutboxRow>> claimed = claim().collectList();
        if (this.scheduler != null) {
            claimed = claimed.publishOn(this.scheduler);
        }
        return this.transaction.transactional(claimed.flatMap(this::publishAndMark)).doOnNext(this::succeeded);
    }

    private Mono<Integer> publishAndMark(List<OutboxRow> rows) {
        if (rows.isEmpty()) {
            return Mono.just(0);
        }
        return this.publisher.publish(rows)
            .timeout(this.ackTimeout)
            .then(markPublished(rows))
            .thenReturn(rows.size());
    }

    private Flux<OutboxRow> claim() {
        return this.database.sql(EventSql.CLAIM_BATCH)
            .bind("limit", this.batchSize)
            .map((row) -> new OutboxRow(row.get("id", Long.class), row.get("event_id", UUID.class),
                    row.get("event_type", String.class), row.get("aggregate_id", Long.class),
                    row.get("payload", String.class)))
            .all();
    }

    private Mono<Long> markPublished(List<OutboxRow> rows) {
        return this.database.sql(EventSql.MARK_PUBLISHED)
            .bind("ids", rows.stream().map(OutboxRow::id).toList())
            .fetch()
            .rowsUpdated();
    }

    private Mono<Integer> outage(Throwable failure) {
        this.failures.increment();
        if (this.failing.compareAndSet(false, true)) {
            logger.warn("Outbox relay failed (" + failure + "): unpublished events stay in the outbox and are retried "
                    + "every " + this.pollInterval.toMillis() + " ms; check the broker and the database. "
                    + "Logged once until the relay publishes again.");
        }
        return Mono.just(0);
    }

    private void succeeded(int rows) {
        this.published.increment(rows);
        if (this.failing.compareAndSet(true, false)) {
            logger.info("Outbox relay publishes again");
        }
    }
}
