package dev.loombench.orders.domain.event;

import java.time.Instant;
import java.util.UUID;

/**
 * A consumed event of the order lifecycle: every type carries the same fields as {@link OrderCreated} (the wire
 * forms differ only in {@code type}), so each costs the consumer the same parse, downstream call and transaction.
 */
public record OrderEvent(UUID eventId, OrderEventType type, long orderId, long customerId, long productId,
        int quantity, long totalCents, Instant createdAt) {

    public int stage() {
        return this.type.stage();
    }
}
