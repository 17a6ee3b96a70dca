package dev.loombench.orders.mvc.messaging.relay;

import java.time.Duration;
import java.util.List;

/** Sends outbox rows to the broker. */
public interface OutboxPublisher {

    /** How long {@link #publish} waits for the acknowledgements: order-domain's {@code RelaySettings.ACK_TIMEOUT}. */
    Duration ackTimeout();

    /**
     * Returns only once the broker has acknowledged every row; throws if any row was not acknowledged (refused,
     * unroutable, timed out, broker unreachable), so the relay rolls the whole batch back.
     */
    void publish(List<OutboxRow> rows);

    /** The broker's name as {@code ORDERS_BROKER} spells it, for log lines. */
    String broker();
}
