package dev.loombench.orders.webflux;

import java.time.Duration;

import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.context.DynamicPropertyRegistry;

import dev.loombench.orders.domain.testing.TestDatabase;
import dev.loombench.orders.domain.testing.TestDownstream;

/**
 * Points the app at the real PostgreSQL and downstream service of {@code harness infra exec}. Read through the
 * domain's helpers so a missing variable fails the context with a clear message instead of falling back to
 * application.properties' local defaults.
 */
public final class TestInfrastructure {

    private TestInfrastructure() {
    }

    public static void register(DynamicPropertyRegistry registry) {
        registerDatabase(registry);
        registry.add("orders.downstream.url", TestDownstream::baseUrl);
    }

    /** The database only, for tests that bring their own downstream. */
    public static void registerDatabase(DynamicPropertyRegistry registry) {
        TestDatabase database = TestDatabase.fromEnvironment();
        registry.add("spring.r2dbc.url", database::r2dbcUrl);
        registry.add("spring.r2dbc.username", database::user);
        registry.add("spring.r2dbc.password", database::password);
    }

    /** The domain's idempotent fixture script, sent over the app's own R2DBC pool: no JDBC driver needed. */
    public static void insertFixtures(DatabaseClient database) {
        database.sql(TestDatabase.fixtureSql()).then().block(Duration.ofSeconds(30));
    }
}
