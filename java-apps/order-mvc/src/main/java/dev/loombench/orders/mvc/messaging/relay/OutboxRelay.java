package dev.loombench.orders.mvc.messaging.relay;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.transaction.support.TransactionTemplate;

import dev.loombench.orders.domain.event.EventMeters;
import dev.loombench.orders.domain.event.EventSql;

/**
 * Polls the outbox and publishes what it finds: claim a batch ({@code FOR UPDATE SKIP LOCKED}), publish it, wait
 * for every acknowledgement, mark it published, commit; all in one transaction, so a failed publish leaves the rows
 * for a later poll (at worst published twice, never lost). A full batch polls again at once. Counters, as in
 * order-webflux: {@link EventMeters#RELAY_PUBLISHED} (rows) and {@link EventMeters#RELAY_FAILURES} (transactions
 * rolled back).
 */
public class OutboxRelay {

    private static final Log logger = LogFactory.getLog(OutboxRelay.class);

    private final JdbcClient jdbc;

    private final TransactionTemplate transaction;

    private final OutboxPublisher publisher;

    private final int batchSize;

    private final long pollIntervalMs;

    /** Failed polls since the last success: a broker outage logs one warning, not one per poll or row. */
    private final AtomicInteger failedPolls = new AtomicInteger();

    private final Counter published;

    private final Counter failures;

    public OutboxRelay(JdbcClient jdbc, TransactionTemplate transaction, OutboxPublisher publisher, int batchSize,
            long pollIntervalMs, MeterRegistry meters) {
        this.jdbc = jdbc;
        this.transaction = transaction;
        this.publisher = publisher;
        this.batchSize = batchSize;
        this.pollIntervalMs = pollIntervalMs;
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

    public long pollIntervalMs() {
        return this.pollIntervalMs;
    }

    public Duration ackTimeout() {
        return this.publisher.ackTimeout();
    }

    @Scheduled(fixedDelayString = "${orders.messaging.relay-poll-interval-ms}")
    public void poll() {
        try {
            int published;
            do {
                published = relayBatch();
            }
            while (published == this.batchSize);
            int failed = this.failedPolls.getAndSet(0);
            if (failed > 0) {
                logger.info("Outbox relay publishes to " + this.publisher.broker() + " again after " + failed
                        + " failed polls");
            }
        }
        catch (RuntimeException ex) {
            if (this.failedPolls.getAndIncrement() == 0) {
                logger.warn("Outbox relay could not publish to " + this.publisher.broker() + "; the events stay in "
                        + "the outbox and are retried every " + this.pollIntervalMs + " ms (further failures of this "
                        + "outage are logged at DEBUG): " + ex, ex);
            }
            else if (logger.isDebugEnabled()) {
                logger.debug("Outbox relay still failing", ex);
            }
        }
    }

    /** One transaction: the number of rows published (0 when the outbox is drained). */
    int relayBatch() {
        Integer rows;
        try {
            rows = this.transaction.execute((status) -> publishClaimed());
        }
        catch (RuntimeException ex) {
            this.failures.increment();
            throw ex;
        }
        int published = (rows != null) ? rows : 0;
        this.published.increment(published);
        return published;
    }

    private int publishClaimed() {
        List<OutboxRow> rows = this.jdbc.sql(EventSql.CLAIM_BATCH)
            .param("limit", this.batchSize)
            .query((rs, rowNum) -> new OutboxRow(rs.getLong("id"), rs.getObject("event_id", UUID.class),
                    rs.getString("event_type"), rs.getLong("aggregate_id"), rs.getString("payload")))
            .list();
        if (rows.isEmpty()) {
            return 0;
        }
        this.publisher.publish(rows);
        this.jdbc.sql(EventSql.MARK_PUBLISHED).param("ids", rows.stream().map(OutboxRow::id).toList()).update();
        return rows.size();
    }
}
