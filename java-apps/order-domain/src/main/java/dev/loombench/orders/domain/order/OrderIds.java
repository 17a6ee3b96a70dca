package dev.loombench.orders.domain.order;

import dev.loombench.orders.domain.error.InvalidRequestException;

/** Turns the raw path segment into an order id; the single place that decides what a valid id is. */
public final class OrderIds {

    public static final String FIELD = "id";

    public static final String INVALID_MESSAGE = "order id must be a positive integer";

    private OrderIds() {
    }

    /**
     * @return the id, a positive 64-bit integer
     * @throws InvalidRequestException for anything else (blank, sign, non-digit, zero, overflow)
     */
    public static long parse(String raw) {
        return PositiveLongs.parse(raw, FIELD, INVALID_MESSAGE);
    }
}
