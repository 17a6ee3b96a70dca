package dev.loombench.orders.webflux.messaging;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;

import dev.loombench.orders.domain.event.ConsumerOrdering;

/**
 * The event-driven half's {@code ORDERS_*} settings (application.properties maps each variable). Broker connection
 * settings, listener concurrency and prefetch go straight to Boot's {@code spring.kafka.*} / {@code spring.rabbitmq.*}
 * instead, and are read back from the live containers for {@code /actuator/info}.
 */
@ConfigurationProperties("orders.messaging")
public record MessagingProperties(Broker broker, Relay relay, Consumer consumer, Kafka kafka, Rabbit rabbit) {

    /**
     * {@code ORDERS_RELAY_BATCH_SIZE}, {@code ORDERS_RELAY_POLL_INTERVAL_MS}, {@code ORDERS_RELAY_DB_POOL} (the
     * relay's own connection pool, 0 for the app's: {@link dev.loombench.orders.webflux.messaging.relay.RelayDatabase}).
     */
    public record Relay(int batchSize, long pollIntervalMs, int dbPool) {

        public Relay {
            atLeast("ORDERS_RELAY_BATCH_SIZE", batchSize, 1);
            atLeast("ORDERS_RELAY_POLL_INTERVAL_MS", pollIntervalMs, 1);
            atLeast("ORDERS_RELAY_DB_POOL", dbPool, 0);
        }

        public Duration pollInterval() {
            return Duration.ofMillis(this.pollIntervalMs);
        }
    }

    /**
     * {@code ORDERS_CONSUMER_*}: attempts count the first one, so 1 means no retry. {@code ordering} is
     * {@code ORDERS_CONSUMER_ORDERING} (per-key or none): the listeners complete several records at once, so only
     * with per-key does a record wait for the previous one of its key ({@code PerKeyOrder}).
     */
    public record Consumer(long delayMs, int maxInFlight, int maxAttempts, long backoffMs, String ordering) {

        public Consumer {
            atLeast("ORDERS_CONSUMER_DELAY_MS", delayMs, 0);
            atLeast("ORDERS_CONSUMER_MAX_IN_FLIGHT", maxInFlight, 1);
            atLeast("ORDERS_CONSUMER_MAX_ATTEMPTS", maxAttempts, 1);
            atLeast("ORDERS_CONSUMER_BACKOFF_MS", backoffMs, 0);
            ConsumerOrdering.of(ordering);
        }

        public ConsumerOrdering consumerOrdering() {
            return ConsumerOrdering.of(this.ordering);
        }

        public Duration backoff() {
            return Duration.ofMillis(this.backoffMs);
        }
    }

    /** {@code order-events} and its dead-letter topic, {@code ORDERS_KAFKA_PARTITIONS} each. */
    public record Kafka(String topic, int partitions) {

        /** design.md's dead-letter topic: the topic name plus {@code .DLT} (same partitions). */
        public static final String DEAD_LETTER_SUFFIX = ".DLT";

        public Kafka {
            atLeast("ORDERS_KAFKA_PARTITIONS", partitions, 1);
        }

        public String deadLetterTopic() {
            return this.topic + DEAD_LETTER_SUFFIX;
        }
    }

    /** The RabbitMQ topology of design.md. */
    public record Rabbit(String exchange, String routingKey, String queue, String deadLetterExchange,
            String deadLetterRoutingKey, String deadLetterQueue) {
    }

    private static void atLeast(String variable, long value, long minimum) {
        if (value < minimum) {
            throw new IllegalArgumentException(variable + " must be at least " + minimum + ", was " + value);
        }
    }
}
