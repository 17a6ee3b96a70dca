package dev.loombench.orders.domain.order;

import java.time.Instant;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import dev.loombench.orders.domain.customer.Customer;
import dev.loombench.orders.domain.inventory.Inventory;

/**
 * The body of {@code GET /orders/{id}}. The property order is pinned explicitly because every variant must
 * emit byte-identical JSON, whatever a Jackson version's default ordering happens to be.
 */
@JsonPropertyOrder({"id", "customerId", "productId", "quantity", "totalCents", "status", "createdAt", "customer",
        "inventory"})
public record OrderDetails(long id, long customerId, long productId, int quantity, long totalCents, String status,
        Instant createdAt, Customer customer, Inventory inventory) {

    public static OrderDetails assemble(Order order, Customer customer, Inventory inventory) {
        if (order == null || customer == null || inventory == null) {
            throw new IllegalArgumentException("order, customer and inventory are all required");
        }
        return new OrderDetails(order.id(), order.customerId(), order.productId(), order.quantity(),
                order.totalCents(), order.status(), order.createdAt(), customer, inventory);
    }
}
