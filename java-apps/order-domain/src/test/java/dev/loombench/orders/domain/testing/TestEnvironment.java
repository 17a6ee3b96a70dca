package dev.loombench.orders.domain.testing;

/** Environment the harness exports for integration tests; missing values fail loudly instead of skipping. */
public final class TestEnvironment {

    private TestEnvironment() {
    }

    public static String require(String name) {
        String value = System.getenv(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("Environment variable " + name + " is not set: these tests need the "
                    + "real PostgreSQL and downstream service; run under `harness infra exec -- mvn test`");
        }
        return value;
    }
}
