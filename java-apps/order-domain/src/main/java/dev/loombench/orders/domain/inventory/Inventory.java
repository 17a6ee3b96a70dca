package dev.loombench.orders.domain.inventory;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/** Stock of one product as the downstream inventory service reports it. */
@JsonPropertyOrder({"productId", "available", "stock"})
public record Inventory(long productId, boolean available, int stock) {
}
