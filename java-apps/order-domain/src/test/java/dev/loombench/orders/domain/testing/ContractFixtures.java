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
