package dev.loombench.orders.webflux.messaging.relay;

import java.util.UUID;

/** One claimed outbox row; {@code payload} is forwarded as it is, never parsed (a poison row reaches the consumer). */
public record OutboxRow(long id, UUID eventId, long aggregateId, String payload) {
}
