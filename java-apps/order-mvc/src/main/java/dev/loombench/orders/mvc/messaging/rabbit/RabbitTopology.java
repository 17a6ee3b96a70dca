package dev.loombench.orders.mvc.messaging.rabbit;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Exchange, routing key and queue of the events, and the dead-letter exchange and queue the queue rejects into
 * (the dead-letter queue's name is also its routing key on the dead-letter exchange).
 */
@ConfigurationProperties("orders.rabbit")
public record RabbitTopology(String exchange, String routingKey, String queue, String deadLetterExchange,
        String deadLetterQueue) {
}
