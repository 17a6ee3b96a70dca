package dev.loombench.orders.domain.event;

import java.time.Duration;

/**
 * What every variant's outbox relay shares beyond its {@code ORDERS_RELAY_*} inputs (design.md, "Relay"), reported
 * as {@code runtime.messaging.relayAckTimeoutMs}.
 */
public final class RelaySettings {

    /**
     * How long one batch may wait for the broker's acknowledgements (Kafka sends, RabbitMQ publisher confirms) before
     * the relay rolls it back. Above the Kafka producer's {@code delivery.timeout.ms}, so a Kafka send fails on its
     * own first; a RabbitMQ broker that is away fails the batch after this long.
     */
    public static final Duration ACK_TIMEOUT = Duration.ofSeconds(15);

    private RelaySettings() {
    }
}
