package dev.loombench.orders.domain.order;

import dev.loombench.orders.domain.error.InvalidRequestException;

/** Strict parsing of positive 64-bit identifiers, shared by the order apps and the downstream service. */
public final class PositiveLongs {

    private PositiveLongs() {
    }

    public static long parse(String raw, String field, String message) {
        // Only ASCII digits: Long.parseLong alone would also accept "+5" and non-ASCII digits.
        if (raw == null || raw.isEmpty() || raw.length() > 19 || !raw.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new InvalidRequestException(field, message);
        }
        long value;
        try {
            value = Long.parseLong(raw);
        }
        catch (NumberFormatException overflow) {
            throw new InvalidRequestException(field, message);
        }
        if (value <= 0) {
            throw new InvalidRequestException(field, message);
        }
        return value;
    }
}
