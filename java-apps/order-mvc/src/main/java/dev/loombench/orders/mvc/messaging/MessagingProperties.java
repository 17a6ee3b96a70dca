package dev.loombench.orders.mvc.messaging;

import org.springframework.boot.context.properties.ConfigurationProperties;

import dev.loombench.orders.domain.event.ConsumerOrdering;

/**
 * The event-driven half ({@code ORDERS_BROKER}, {@code ORDERS_RELAY_*}, {@code ORDERS_CONSUMER_*}).
 * {@code relayDbPool} is the relay's own connection pool, 0 for the app's (see
 * {@link dev.loombench.orders.mvc.messaging.relay.RelayDatabase}). The broker
 * decides which messaging beans exist at all; with {@link Broker#NONE} there are none.
 */
@ConfigurationProperties("orders.messaging")
public record MessagingProperties(Broker broker, long consumerDelayMs, int maxAttempts, long backoffMs,
        int relayBatchSize, long relayPollIntervalMs, int relayDbPool, String ordering) {

    public MessagingProperties {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("ORDERS_CONSUMER_MAX_ATTEMPTS must be at least 1, was " + maxAttempts);
        }
        ConsumerOrdering.of(ordering);
        if (relayBatchSize < 1) {
            throw new IllegalArgumentException("ORDERS_RELAY_BATCH_SIZE must be at least 1, was " + relayBatchSize);
        }
        if (relayDbPool < 0) {
            throw new IllegalArgumentException("ORDERS_RELAY_DB_POOL must be at least 0, was " + relayDbPool);
        }
    }

    /**
     * {@code ORDERS_CONSUMER_ORDERING}: read, validated and reported, but it changes nothing here, for either value.
     * A Kafka listener container thread processes its partitions' records one after the other, blocking until each
     * is committed, so the events of one key (one partition) are already applied in order. RabbitMQ with one consumer
     * is sequential the same way; with competing consumers (listener concurrency above 1) messages of one order may
     * be processed at once on two threads, and no setting of this app makes that ordered: the benchmark counts it.
     */
    public ConsumerOrdering consumerOrdering() {
        return ConsumerOrdering.of(this.ordering);
    }
}
