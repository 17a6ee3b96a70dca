package dev.loombench.orders.domain.event;

/**
 * The order lifecycle, keyed by order id: each type is one stage, and a consumer that keeps order applies them
 * exactly in stage order. The {@code type} field of the wire form is {@link #wireName()}; anything else is poison.
 */
public enum OrderEventType {

    ORDER_CREATED("OrderCreated", 1), ORDER_PAID("OrderPaid", 2), ORDER_SHIPPED("OrderShipped", 3);

    private final String wireName;

    private final int stage;

    OrderEventType(String wireName, int stage) {
        this.wireName = wireName;
        this.stage = stage;
    }

    public String wireName() {
        return this.wireName;
    }

    /** 1, 2, 3: what {@code order_projection.stage} holds once this event is the newest one applied. */
    public int stage() {
        return this.stage;
    }

    /** @return null for a type outside the lifecycle (the caller decides that this is poison) */
    public static OrderEventType fromWireName(String type) {
        for (OrderEventType candidate : values()) {
            if (candidate.wireName.equals(type)) {
                return candidate;
            }
        }
        return null;
    }
}
