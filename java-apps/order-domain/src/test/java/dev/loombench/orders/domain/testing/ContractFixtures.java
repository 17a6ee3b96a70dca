package dev.loombench.orders.domain.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

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
}
