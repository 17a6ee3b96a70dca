package dev.loombench.orders.domain.event;

/**
 * {@code ORDERS_CONSUMER_ORDERING}: whether the consumer keeps the events of one key (the order id) in the order the
 * broker delivered them. {@code per-key}: an event waits for the previous event of its key to finish; {@code none}:
 * events are processed as they come, so two of one order may overtake each other where the consumer completes
 * several at once. What each variant has to do for it differs (see where each reads it); every variant reports it.
 */
public enum ConsumerOrdering {

    PER_KEY("per-key"), NONE("none");

    public static final String VARIABLE = "ORDERS_CONSUMER_ORDERING";

    private final String wireName;

    ConsumerOrdering(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return this.wireName;
    }

    /** @throws IllegalArgumentException naming the variable and its values */
    public static ConsumerOrdering of(String value) {
        for (ConsumerOrdering candidate : values()) {
            if (candidate.wireName.equals(value)) {
                return candidate;
            }
        }
        throw new IllegalArgumentException(VARIABLE + " must be per-key or none, was " + value);
    }
}
