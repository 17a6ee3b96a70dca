package dev.loombench.orders.domain.event;

import java.time.Instant;
import java.util.UUID;

/**
 * The event POST /orders writes: an order was stored. Its wire form is {@link OrderEventCodec}'s; the later stages of
 * the lifecycle ({@link OrderEventType}) are only ever injected by the harness, in the same form.
 */
public record OrderCreated(UUID eventId, long orderId, long customerId, long productId, int quantity,
        long totalCents, Instant createdAt) {

    public static final String TYPE = "OrderCreated";

    public OrderEvent toEvent() {
        return new OrderEvent(this.eventId, OrderEventType.ORDER_CREATED, this.orderId, this.customerId,
                this.productId, this.quantity, this.totalCents, this.createdAt);
    }
}
