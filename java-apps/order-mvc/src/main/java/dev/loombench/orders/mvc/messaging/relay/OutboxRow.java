package dev.loombench.orders.mvc.messaging.relay;

import java.util.UUID;

/** One claimed outbox row; {@code payload} is forwarded as stored, never parsed. */
public record OutboxRow(long id, UUID eventId, long aggregateId, String payload) {
}
