package dev.loombench.orders.webflux.messaging;

/**
 * The broker-specific part of {@code /actuator/info}'s {@code messaging}, read back from the live listener
 * containers and topology; null where a setting does not apply to the broker.
 */
public interface BrokerSettings {

    Integer partitions();

    Integer listenerConcurrency();

    Integer prefetch();
}
