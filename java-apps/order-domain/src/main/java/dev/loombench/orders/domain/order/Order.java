package dev.loombench.orders.domain.order;

import java.time.Instant;

/** One row of the {@code orders} table. */
public record Order(long id, long customerId, long productId, int quantity, long totalCents, String status,
        Instant createdAt) {
}
