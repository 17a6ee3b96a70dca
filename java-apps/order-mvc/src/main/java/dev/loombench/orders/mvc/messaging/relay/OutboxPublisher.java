package dev.loombench.orders.mvc.messaging.relay;

import java.time.Duration;
import java.util.List;

/** Sends outbox rows to the broker. */
public interface OutboxPublisher {

    /**
     * How long a batch may wait for its acknowledgements before the relay gives it up; above the Kafka producer's
     * {@code delivery.timeout.ms} (order-domain's {@code KafkaProducerSettings}), so a Kafka send fails on its own first.
     */
    Duration ACK_TIMEOUT = Duration.ofSeconds(15);

    /**
     * Returns only once the broker has acknowledged every row; throws if any row was not acknowledged (refused,
     * unroutable, timed out, broker unreachable), so the relay rolls the whole batch back.
     */
    void publish(List<OutboxRow> rows);

    /** The broker's name as {@code ORDERS_BROKER} spells it, for log lines. */
    String broker();
}
