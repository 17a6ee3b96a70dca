package dev.loombench.orders.mvc.messaging;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The event-driven half ({@code ORDERS_BROKER}, {@code ORDERS_RELAY_*}, {@code ORDERS_CONSUMER_*}).
 * {@code relayDbPool} is the relay's own connection pool, 0 for the app's (see
 * {@link dev.loombench.orders.mvc.messaging.relay.RelayDatabase}). The broker
 * decides which messaging beans exist at all; with {@link Broker#NONE} there are none.
 */
@ConfigurationProperties("orders.messaging")
public record MessagingProperties(Broker broker, long consumerDelayMs, int maxAttempts, long backoffMs,
        int relayBatchSize, long relayPollIntervalMs, int relayDbPool) {

    public MessagingProperties {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("ORDERS_CONSUMER_MAX_ATTEMPTS must be at least 1, was " + maxAttempts);
        }
        if (relayBatchSize < 1) {
            throw new IllegalArgumentException("ORDERS_RELAY_BATCH_SIZE must be at least 1, was " + relayBatchSize);
        }
        if (relayDbPool < 0) {
            throw new IllegalArgumentException("ORDERS_RELAY_DB_POOL must be at least 0, was " + relayDbPool);
        }
    }
}
