package dev.loombench.orders.domain.event;

import java.time.Instant;
import java.util.UUID;

/** The one event type of the service: an order was stored. Its wire form is {@link OrderEventCodec}'s. */
public record OrderCreated(UUID eventId, long orderId, long customerId, long productId, int quantity,
        long totalCents, Instant createdAt) {

    public static final String TYPE = "OrderCreated";
}
