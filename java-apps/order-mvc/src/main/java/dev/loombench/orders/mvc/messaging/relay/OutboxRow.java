package dev.loombench.orders.mvc.messaging.relay;

import java.util.UUID;

/**
 * One claimed outbox row; {@code payload} is forwarded as stored, never parsed, and {@code eventType} (the stored
 * column) labels it on the wire, so a lifecycle's OrderPaid is not announced as an OrderCreated.
 */
public record OutboxRow(long id, UUID eventId, String eventType, long aggregateId, String payload) {
}
