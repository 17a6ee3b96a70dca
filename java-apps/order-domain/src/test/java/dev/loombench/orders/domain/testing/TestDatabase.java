package dev.loombench.orders.domain.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The PostgreSQL the harness provides (schema already applied), read from the same {@code ORDERS_DB_*}
 * variables the apps read. The fixture rows live in the reserved id range 900000001..900000010 and are
 * inserted idempotently, so tests can share a database with seeded benchmark data.
 */
public record TestDatabase(String host, int port, String name, String user, String password) {

    public static final String FIXTURE_SQL = "db/fixtures/contract-fixtures.sql";

    public static TestDatabase fromEnvironment() {
        return new TestDatabase(TestEnvironment.require("ORDERS_DB_HOST"),
                Integer.parseInt(TestEnvironment.require("ORDERS_DB_PORT")), TestEnvironment.require("ORDERS_DB_NAME"),
                TestEnvironment.require("ORDERS_DB_USER"), TestEnvironment.require("ORDERS_DB_PASSWORD"));
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://" + this.host + ":" + this.port + "/" + this.name;
    }

    public String r2dbcUrl() {
        return "r2dbc:postgresql://" + this.host + ":" + this.port + "/" + this.name;
    }

    /** The fixture script; PostgreSQL accepts it as one multi-statement simple query (JDBC or R2DBC). */
    public static String fixtureSql() {
        try (InputStream in = TestDatabase.class.getClassLoader().getResourceAsStream(FIXTURE_SQL)) {
            if (in == null) {
                throw new IllegalStateException(FIXTURE_SQL + " is not on the test classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** Inserts the fixtures over plain JDBC; needs {@code org.postgresql:postgresql} on the test classpath. */
    public void insertFixtures() {
        try (Connection connection = DriverManager.getConnection(jdbcUrl(), this.user, this.password);
                Statement statement = connection.createStatement()) {
            statement.execute(fixtureSql());
        }
        catch (SQLException ex) {
            throw new IllegalStateException("Could not insert fixtures into " + jdbcUrl() + " as " + this.user
                    + " (is the schema applied and the PostgreSQL JDBC driver on the test classpath?)", ex);
        }
    }
}
