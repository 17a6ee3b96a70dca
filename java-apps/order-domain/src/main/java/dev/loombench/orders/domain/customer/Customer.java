package dev.loombench.orders.domain.customer;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/** A customer as the downstream customer service reports it. */
@JsonPropertyOrder({"id", "name", "tier"})
public record Customer(long id, String name, String tier) {
}
