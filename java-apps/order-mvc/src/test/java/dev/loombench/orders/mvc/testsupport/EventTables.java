package dev.loombench.orders.mvc.testsupport;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;

/** Reads (and, for fault injection, writes) the tables of the event-driven half the way the harness does. */
public record EventTables(JdbcClient jdbc) {

    public record OutboxRow(long id, UUID eventId, long aggregateId, String payload, boolean published) {
    }

    public record ProjectionRow(long orderId, UUID eventId, long customerId, long totalCents, int stock, int applied) {
    }

    public record DeadLetter(String broker, String eventId, String reason, String payload) {
    }

    public Instant orderCreatedAt(long orderId) {
        return this.jdbc.sql("SELECT created_at FROM orders WHERE id = :id")
            .param("id", orderId)
            .query(OffsetDateTime.class)
            .single()
            .toInstant();
    }

    public List<OutboxRow> outbox(long orderId) {
        return this.jdbc.sql("SELECT id, event_id, aggregate_id, payload, published_at IS NOT NULL AS published "
                + "FROM outbox WHERE aggregate_id = :id ORDER BY id")
            .param("id", orderId)
            .query((rs, n) -> new OutboxRow(rs.getLong(1), rs.getObject(2, UUID.class), rs.getLong(3), rs.getString(4),
                    rs.getBoolean(5)))
            .list();
    }

    /** A publication request as the harness injects one: a duplicate or a poison payload. */
    public void insertOutbox(UUID eventId, long aggregateId, String payload) {
        this.jdbc.sql("INSERT INTO outbox (event_id, event_type, aggregate_id, payload) "
                + "VALUES (:eventId, 'OrderCreated', :aggregateId, :payload)")
            .param("eventId", eventId)
            .param("aggregateId", aggregateId)
            .param("payload", payload)
            .update();
    }

    public boolean published(UUID eventId) {
        return this.jdbc.sql("SELECT count(*) FROM outbox WHERE event_id = :id AND published_at IS NULL")
            .param("id", eventId)
            .query(Long.class)
            .single() == 0;
    }

    /** The broker the inbox recorded and how many redeliveries it suppressed, if the event was processed. */
    public Optional<Inbox> inbox(UUID eventId) {
        return this.jdbc.sql("SELECT broker, duplicates FROM inbox WHERE event_id = :id")
            .param("id", eventId)
            .query((rs, n) -> new Inbox(rs.getString(1), rs.getInt(2)))
            .optional();
    }

    public record Inbox(String broker, int duplicates) {
    }

    public Optional<ProjectionRow> projection(long orderId) {
        return this.jdbc.sql("SELECT order_id, event_id, customer_id, total_cents, stock, applied FROM order_projection "
                + "WHERE order_id = :id")
            .param("id", orderId)
            .query((rs, n) -> new ProjectionRow(rs.getLong(1), rs.getObject(2, UUID.class), rs.getLong(3),
                    rs.getLong(4), rs.getInt(5), rs.getInt(6)))
            .optional();
    }

    public List<DeadLetter> deadLettersWithPayload(String payload) {
        return this.jdbc.sql("SELECT broker, event_id, reason, payload FROM dead_letters WHERE payload = :payload")
            .param("payload", payload)
            .query((rs, n) -> new DeadLetter(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)))
            .list();
    }

    public List<DeadLetter> deadLettersOf(UUID eventId) {
        return this.jdbc.sql("SELECT broker, event_id, reason, payload FROM dead_letters WHERE event_id = :id")
            .param("id", eventId.toString())
            .query((rs, n) -> new DeadLetter(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)))
            .list();
    }

    /** Rows of orders and outbox and the order id sequence: unchanged when nothing was written. */
    public String writeFootprint() {
        return this.jdbc.sql("SELECT (SELECT count(*) FROM orders) || '/' || (SELECT count(*) FROM outbox) || '/' "
                + "|| (SELECT last_value FROM order_id_seq)")
            .query(String.class)
            .single();
    }

    public long ordersOfProduct(long productId) {
        return this.jdbc.sql("SELECT count(*) FROM orders WHERE product_id = :id")
            .param("id", productId)
            .query(Long.class)
            .single();
    }

    public long outboxRowsOfProduct(long productId) {
        return this.jdbc.sql("SELECT count(*) FROM outbox WHERE payload LIKE :pattern")
            .param("pattern", "%\"productId\":" + productId + ",%")
            .query(Long.class)
            .single();
    }
}
