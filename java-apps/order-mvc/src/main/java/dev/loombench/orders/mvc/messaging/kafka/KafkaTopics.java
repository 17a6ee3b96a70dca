package dev.loombench.orders.mvc.messaging.kafka;

import org.springframework.boot.context.properties.ConfigurationProperties;

/** The topic the relay publishes to and its dead-letter topic; both are created with {@code partitions}. */
@ConfigurationProperties("orders.kafka")
public record KafkaTopics(String topic, String deadLetterTopic, int partitions) {
}
