package dev.loombench.orders.domain.quote;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * The body of {@code GET /quotes/{id}?rounds=N}: the order id, the work done, the final digest (lower-case hex)
 * and the price derived from it. Property order pinned so every variant emits the same bytes.
 */
@JsonPropertyOrder({"orderId", "rounds", "digest", "priceCents"})
public record Quote(long orderId, int rounds, String digest, long priceCents) {
}
