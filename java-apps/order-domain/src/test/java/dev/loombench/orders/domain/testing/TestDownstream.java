package dev.loombench.orders.domain.testing;

/** The real downstream service the harness starts for integration tests. */
public final class TestDownstream {

    public static final String URL_VARIABLE = "ORDERS_DOWNSTREAM_URL";

    private TestDownstream() {
    }

    public static String baseUrl() {
        return TestEnvironment.require(URL_VARIABLE);
    }
}
