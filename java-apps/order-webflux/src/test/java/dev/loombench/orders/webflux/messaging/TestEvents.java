package dev.loombench.orders.webflux.messaging;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.springframework.r2dbc.core.DatabaseClient;

/**
 * Reads and writes the event tables for tests, over the app's own R2DBC pool. Every query is keyed by the test's
 * own event id, order id or payload, so tests sharing the database with other test classes (and order-mvc's) see
 * only their own rows.
 */
public record TestEvents(DatabaseClient database) {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    public record OutboxEntry(UUID eventId, String payload, boolean published) {
    }

    public record InboxEntry(String broker, int duplicates) {
    }

    public record ProjectionEntry(UUID eventId, long customerId, long totalCents, int stock, int applied) {
    }

    public record DeadLetter(String broker, String eventId, String reason, String payload) {
    }

    public List<OutboxEntry> outbox(long orderId) {
        return this.database
            .sql("SELECT event_id, payload, published_at FROM outbox WHERE aggregate_id = :id ORDER BY id")
            .bind("id", orderId)
            .map((row) -> new OutboxEntry(row.get("event_id", UUID.class), row.get("payload", String.class),
                    row.get("published_at", OffsetDateTime.class) != null))
            .all()
            .collectList()
            .block(TIMEOUT);
    }

    public Optional<Instant> orderCreatedAt(long orderId) {
        return this.database.sql("SELECT created_at FROM orders WHERE id = :id")
            .bind("id", orderId)
            .map((row) -> row.get("created_at", OffsetDateTime.class).toInstant())
            .one()
            .blockOptional(TIMEOUT);
    }

    /** Like a relay that died between publishing and marking, or the harness's duplicate fault: one more row. */
    public void insertOutbox(UUID eventId, long aggregateId, String payload) {
        this.database.sql("INSERT INTO outbox (event_id, event_type, aggregate_id, payload) "
                + "VALUES (:eventId, 'OrderCreated', :aggregateId, :payload)")
            .bind("eventId", eventId)
            .bind("aggregateId", aggregateId)
            .bind("payload", payload)
            .then()
            .block(TIMEOUT);
    }

    public Optional<InboxEntry> inbox(UUID eventId) {
        return this.database.sql("SELECT broker, duplicates FROM inbox WHERE event_id = :eventId")
            .bind("eventId", eventId)
            .map((row) -> new InboxEntry(row.get("broker", String.class), row.get("duplicates", Integer.class)))
            .one()
            .blockOptional(TIMEOUT);
    }

    public Optional<ProjectionEntry> projection(long orderId) {
        return this.database
            .sql("SELECT event_id, customer_id, total_cents, stock, applied FROM order_projection WHERE order_id = :id")
            .bind("id", orderId)
            .map((row) -> new ProjectionEntry(row.get("event_id", UUID.class), row.get("customer_id", Long.class),
                    row.get("total_cents", Long.class), row.get("stock", Integer.class),
                    row.get("applied", Integer.class)))
            .one()
            .blockOptional(TIMEOUT);
    }

    public List<DeadLetter> deadLetters(String payload) {
        return this.database.sql("SELECT broker, event_id, reason, payload FROM dead_letters WHERE payload = :payload")
            .bind("payload", payload)
            .map((row) -> new DeadLetter(row.get("broker", String.class), row.get("event_id", String.class),
                    row.get("reason", String.class), row.get("payload", String.class)))
            .all()
            .collectList()
            .block(TIMEOUT);
    }

    public long count(String sql) {
        return this.database.sql(sql).map((row) -> row.get(0, Long.class)).one().block(TIMEOUT);
    }
}
