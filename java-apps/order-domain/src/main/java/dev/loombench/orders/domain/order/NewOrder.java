package dev.loombench.orders.domain.order;

import java.util.Iterator;
import java.util.Set;

import dev.loombench.orders.domain.error.InvalidRequestException;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A validated {@code POST /orders} body. Parsed here rather than by framework binding so that every variant
 * accepts and rejects exactly the same bodies, with the same field named in the 400.
 */
public record NewOrder(long customerId, long productId, int quantity) {

    public static final int MAX_QUANTITY = 100;

    static final String BODY_MESSAGE = "body must be a JSON object";

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static final Set<String> FIELDS = Set.of("customerId", "productId", "quantity");

    /** @throws InvalidRequestException naming the first offending field, or {@code body} */
    public static NewOrder parse(String body) {
        JsonNode root;
        try {
            root = body == null || body.isBlank() ? null : JSON.readTree(body);
        }
        catch (JacksonException malformed) {
            root = null;
        }
        if (root == null || !root.isObject()) {
            throw new InvalidRequestException("body", BODY_MESSAGE);
        }
        for (Iterator<String> names = root.propertyNames().iterator(); names.hasNext();) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                throw new InvalidRequestException(name, "unknown field");
            }
        }
        long customerId = positiveLong(root, "customerId");
        long productId = positiveLong(root, "productId");
        JsonNode quantity = root.get("quantity");
        if (quantity == null || !quantity.isIntegralNumber() || !quantity.canConvertToInt()
                || quantity.intValue() < 1 || quantity.intValue() > MAX_QUANTITY) {
            throw new InvalidRequestException("quantity", "quantity must be an integer from 1 to " + MAX_QUANTITY);
        }
        return new NewOrder(customerId, productId, quantity.intValue());
    }

    /** The 400 for a well-formed body whose customer is not in the database; nothing may be written then. */
    public static InvalidRequestException unknownCustomer(long customerId) {
        return new InvalidRequestException("customerId", "customer " + customerId + " does not exist");
    }

    /** Quantity times the unit price; the seed prices its orders the same way. */
    public long totalCents() {
        return this.quantity * Pricing.unitPriceCents(this.productId);
    }

    private static long positiveLong(JsonNode root, String field) {
        JsonNode value = root.get(field);
        if (value == null || !value.isIntegralNumber() || !value.canConvertToLong() || value.longValue() < 1) {
            throw new InvalidRequestException(field, field + " must be a positive integer");
        }
        return value.longValue();
    }
}
