package dev.loombench.orders.domain.order;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import dev.loombench.orders.domain.event.OrderCreated;

/** The {@code 201} answer of {@code POST /orders}: the stored order plus the id of the event it emitted. */
@JsonPropertyOrder({"id", "customerId", "productId", "quantity", "totalCents", "status", "createdAt", "eventId"})
public record CreatedOrder(long id, long customerId, long productId, int quantity, long totalCents, String status,
        Instant createdAt, UUID eventId) {

    public static final String STATUS = "CREATED";

    /**
     * The order as it will be stored. {@code createdAt} is truncated to microseconds, PostgreSQL's precision, so
     * the answer equals what a later {@code GET} reads back.
     */
    public static CreatedOrder of(long id, NewOrder order, Instant now, UUID eventId) {
        return new CreatedOrder(id, order.customerId(), order.productId(), order.quantity(), order.totalCents(),
                STATUS, now.truncatedTo(ChronoUnit.MICROS), eventId);
    }

    public OrderCreated event() {
        return new OrderCreated(this.eventId, this.id, this.customerId, this.productId, this.quantity,
                this.totalCents, this.createdAt);
    }
}
