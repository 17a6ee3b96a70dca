package dev.loombench.orders.domain.customer;

import dev.loombench.orders.domain.error.InvalidRequestException;
import dev.loombench.orders.domain.order.PositiveLongs;

/** Turns the raw path segment of {@code /legacy/customers/{id}} into a customer id (same rules as order ids). */
public final class CustomerIds {

    public static final String FIELD = "id";

    public static final String INVALID_MESSAGE = "customer id must be a positive integer";

    private CustomerIds() {
    }

    /** @throws InvalidRequestException for anything but a positive 64-bit integer */
    public static long parse(String raw) {
        return PositiveLongs.parse(raw, FIELD, INVALID_MESSAGE);
    }
}
