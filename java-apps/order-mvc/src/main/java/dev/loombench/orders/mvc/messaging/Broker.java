package dev.loombench.orders.mvc.messaging;

/**
 * {@code ORDERS_BROKER}. {@link #wireName()} is also what {@code inbox.broker} and {@code dead_letters.broker} hold.
 */
public enum Broker {

    NONE("none"), KAFKA("kafka"), RABBITMQ("rabbitmq");

    private final String wireName;

    Broker(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return this.wireName;
    }
}
