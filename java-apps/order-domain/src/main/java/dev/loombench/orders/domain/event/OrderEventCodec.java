package dev.loombench.orders.domain.event;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.UUID;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The wire form of the lifecycle's events ({@link OrderEventType}; {@link OrderCreated} is the one the service
 * writes itself), written and read by hand so the field order and the instant format are
 * fixed whatever the framework's Jackson settings: the relay forwards these bytes and every consumer reads them.
 */
public final class OrderEventCodec {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private OrderEventCodec() {
    }

    public static String toJson(OrderCreated event) {
        return toJson(event.toEvent());
    }

    public static String toJson(OrderEvent event) {
        ObjectNode node = JSON.createObjectNode();
        node.put("eventId", event.eventId().toString());
        node.put("type", event.type().wireName());
        node.put("orderId", event.orderId());
        node.put("customerId", event.customerId());
        node.put("productId", event.productId());
        node.put("quantity", event.quantity());
        node.put("totalCents", event.totalCents());
        node.put("createdAt", event.createdAt().toString());
        return JSON.writeValueAsString(node);
    }

    public static OrderEvent parse(byte[] payload) {
        if (payload == null) {
            throw new PoisonMessageException("empty message");
        }
        return parse(new String(payload, StandardCharsets.UTF_8));
    }

    /** @throws PoisonMessageException naming what is wrong; never retried */
    public static OrderEvent parse(String payload) {
        if (payload == null) {
            throw new PoisonMessageException("empty message");
        }
        JsonNode root;
        try {
            root = JSON.readTree(payload);
        }
        catch (JacksonException malformed) {
            throw new PoisonMessageException("payload is not JSON");
        }
        if (root == null || !root.isObject()) {
            throw new PoisonMessageException("payload is not a JSON object");
        }
        String typeName = text(root, "type");
        OrderEventType type = OrderEventType.fromWireName(typeName);
        if (type == null) {
            throw new PoisonMessageException("type must be OrderCreated, OrderPaid or OrderShipped, was " + typeName);
        }
        UUID eventId;
        Instant createdAt;
        try {
            eventId = UUID.fromString(text(root, "eventId"));
        }
        catch (IllegalArgumentException invalid) {
            throw new PoisonMessageException("eventId is not a UUID");
        }
        try {
            createdAt = Instant.parse(text(root, "createdAt"));
        }
        catch (DateTimeParseException invalid) {
            throw new PoisonMessageException("createdAt is not an ISO-8601 instant");
        }
        long quantity = number(root, "quantity");
        if (quantity > Integer.MAX_VALUE) {
            throw new PoisonMessageException("quantity is out of range");
        }
        return new OrderEvent(eventId, type, number(root, "orderId"), number(root, "customerId"),
                number(root, "productId"), (int) quantity, number(root, "totalCents"), createdAt);
    }

    /** The event id of a message, if it can be read at all; dead-letter records keep it when present. */
    public static String eventIdOrNull(String payload) {
        if (payload == null) {
            return null;
        }
        try {
            JsonNode root = JSON.readTree(payload);
            JsonNode id = root == null ? null : root.get("eventId");
            return id != null && id.isString() ? id.stringValue() : null;
        }
        catch (JacksonException malformed) {
            return null;
        }
    }

    private static String text(JsonNode root, String field) {
        JsonNode value = root.get(field);
        if (value == null || !value.isString()) {
            throw new PoisonMessageException(field + " is missing or not a string");
        }
        return value.stringValue();
    }

    private static long number(JsonNode root, String field) {
        JsonNode value = root.get(field);
        if (value == null || !value.isIntegralNumber() || !value.canConvertToLong() || value.longValue() < 0) {
            throw new PoisonMessageException(field + " is missing or not a non-negative integer");
        }
        return value.longValue();
    }
}
