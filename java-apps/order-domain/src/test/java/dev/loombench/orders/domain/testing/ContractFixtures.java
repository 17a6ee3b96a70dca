package dev.loombench.orders.domain.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Golden response bodies every variant must reproduce byte for byte: two variants equal to the same file are
 * byte-identical to each other. Files carry no trailing newline.
 */
public final class ContractFixtures {

    /** Order 900000001 of the fixture script, expanded by the real downstream service. */
    public static final long FIXTURE_ORDER_ID = 900000001L;

    /** Inside the reserved range but never inserted. */
    public static final long UNKNOWN_ORDER_ID = 900000999L;

    public static final String INVALID_ORDER_ID = "abc";

    public static final String ORDER = "contract/order-900000001.json";

    public static final String NOT_FOUND = "contract/not-found.json";

    public static final String BAD_REQUEST = "contract/bad-request.json";

    public static final String DATABASE_UNAVAILABLE = "contract/database-unavailable.json";

    /** {@code GET /quotes/{FIXTURE_ORDER_ID}?rounds={QUOTE_ROUNDS}}: pure computation, needs no fixture rows. */
    public static final String QUOTE = "contract/quote-900000001-r1000.json";

    public static final int QUOTE_ROUNDS = 1000;

    /** Missing, zero, too many or non-numeric {@code rounds} on {@code /quotes/{id}}. */
    public static final String BAD_ROUNDS = "contract/bad-rounds.json";

    /** Too many rounds: one past the maximum. */
    public static final String TOO_MANY_ROUNDS = "100001";

    /** {@code GET /legacy/customers/{FIXTURE_CUSTOMER_ID}} through the real downstream service. */
    public static final String LEGACY_CUSTOMER = "contract/legacy-customer-900000001.json";

    /** Any id is a customer for the downstream; this one is also the fixture order's customer. */
    public static final long FIXTURE_CUSTOMER_ID = 900000001L;

    /** {@code GET /legacy/customers/abc} (or 0, -1, overflow). */
    public static final String BAD_CUSTOMER_ID = "contract/bad-customer-id.json";

    /** {@code POST /orders} body for the fixture customer: 3 × product 342 at 2854 cents = 8562. */
    public static final String NEW_ORDER_BODY = "{\"customerId\":900000001,\"productId\":342,\"quantity\":3}";

    /**
     * The {@code 201} body of {@link #NEW_ORDER_BODY}, with {@code {id}}, {@code {createdAt}} and {@code {eventId}}
     * placeholders: fill it with {@link #createdOrder} from the stored row and compare bytes.
     */
    public static final String CREATED_ORDER = "contract/created-order.json";

    /** The outbox payload (= the wire event) of {@link #NEW_ORDER_BODY}, same placeholders as {@link #CREATED_ORDER}. */
    public static final String ORDER_CREATED_EVENT = "contract/order-created-event.json";

    /** Never inserted as a customer: the well-formed body naming it is a 400 on {@code customerId}. */
    public static final long UNKNOWN_CUSTOMER_ID = 900000999L;

    /**
     * Rejected {@code POST /orders} bodies → the golden 400 each must answer; one entry per row of the contract table
     * (design.md, "Write path") and then some. Nothing may be written for any of them.
     */
    public static final Map<String, String> INVALID_NEW_ORDERS = invalidNewOrders();

    private ContractFixtures() {
    }

    public static byte[] goldenBytes(String resource) {
        try (InputStream in = ContractFixtures.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is not on the test classpath");
            }
            return in.readAllBytes();
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    public static String golden(String resource) {
        return new String(goldenBytes(resource), StandardCharsets.UTF_8);
    }

    /** {@link #CREATED_ORDER} or {@link #ORDER_CREATED_EVENT} with its placeholders filled. */
    public static String createdOrder(String resource, long id, Instant createdAt, UUID eventId) {
        return golden(resource).replace("{id}", Long.toString(id))
            .replace("{createdAt}", createdAt.toString())
            .replace("{eventId}", eventId.toString());
    }

    private static Map<String, String> invalidNewOrders() {
        String badBody = "contract/new-order-bad-body.json";
        String badCustomerId = "contract/new-order-bad-customer-id.json";
        String badProductId = "contract/new-order-bad-product-id.json";
        String badQuantity = "contract/new-order-bad-quantity.json";
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("", badBody);
        cases.put("not json", badBody);
        cases.put("[900000001,342,3]", badBody);
        cases.put("null", badBody);
        cases.put(NEW_ORDER_BODY + " trailing", badBody);
        cases.put("{\"customerId\":900000001,\"productId\":342,\"quantity\":3,\"price\":1}",
                "contract/new-order-unknown-field.json");
        cases.put("{\"productId\":342,\"quantity\":3}", badCustomerId);
        cases.put("{\"customerId\":\"900000001\",\"productId\":342,\"quantity\":3}", badCustomerId);
        cases.put("{\"customerId\":0,\"productId\":342,\"quantity\":3}", badCustomerId);
        cases.put("{\"customerId\":900000001,\"productId\":342.5,\"quantity\":3}", badProductId);
        cases.put("{\"customerId\":900000001,\"productId\":-1,\"quantity\":3}", badProductId);
        cases.put("{\"customerId\":900000001,\"productId\":342}", badQuantity);
        cases.put("{\"customerId\":900000001,\"productId\":342,\"quantity\":0}", badQuantity);
        cases.put("{\"customerId\":900000001,\"productId\":342,\"quantity\":101}", badQuantity);
        cases.put("{\"customerId\":900000001,\"productId\":342,\"quantity\":\"3\"}", badQuantity);
        cases.put("{\"customerId\":" + UNKNOWN_CUSTOMER_ID + ",\"productId\":342,\"quantity\":3}",
                "contract/new-order-unknown-customer.json");
        return Collections.unmodifiableMap(cases);
    }
}
