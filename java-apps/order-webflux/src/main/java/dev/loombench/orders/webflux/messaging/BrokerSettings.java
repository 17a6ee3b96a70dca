package dev.loombench.orders.webflux.messaging;

import java.util.Map;

/**
 * The broker-specific part of {@code /actuator/info}'s {@code messaging}, read back from the live listener
 * containers and topology; null where a setting does not apply to the broker.
 */
public interface BrokerSettings {

    Integer partitions();

    Integer listenerConcurrency();

    Integer prefetch();

    /** The live producer's values of the shared producer settings; null for a broker without a Kafka producer. */
    Map<String, Object> kafkaProducer();

    /** The order listener's commit and poll settings ({@code KafkaConsumerSettings}); null for another broker. */
    Map<String, Object> kafkaConsumer();
}
