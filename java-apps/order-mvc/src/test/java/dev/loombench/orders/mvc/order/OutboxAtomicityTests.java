package dev.loombench.orders.mvc.order;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;

import dev.loombench.orders.domain.testing.ContractFixtures;
import dev.loombench.orders.domain.testing.TestDatabase;
import dev.loombench.orders.domain.testing.TestHttp;
import dev.loombench.orders.mvc.testsupport.EventTables;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The order and its outbox row commit together or not at all. The failure is injected by the real database at
 * commit, after both inserts ran: a deferred constraint trigger that rejects outbox rows of one product id
 * reserved for this test, so nothing else sharing the database is affected.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
class OutboxAtomicityTests {

    private static final long FAILING_PRODUCT_ID = 987654321L;

    private static final long OTHER_PRODUCT_ID = 987654322L;

    @LocalServerPort
    private int port;

    @Autowired
    private JdbcClient jdbc;

    @BeforeAll
    static void installCommitFailure() {
        TestDatabase.fromEnvironment().insertFixtures();
        execute("""
                CREATE OR REPLACE FUNCTION outbox_atomicity_test_fail() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION 'outbox row rejected at commit by OutboxAtomicityTests';
                END $$;
                DROP TRIGGER IF EXISTS outbox_atomicity_test ON outbox;
                CREATE CONSTRAINT TRIGGER outbox_atomicity_test AFTER INSERT ON outbox
                    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
                    WHEN (NEW.payload LIKE '%"productId":PRODUCT,%')
                    EXECUTE FUNCTION outbox_atomicity_test_fail();
                """.replace("PRODUCT", Long.toString(FAILING_PRODUCT_ID)));
    }

    @AfterAll
    static void removeCommitFailure() {
        execute("DROP TRIGGER IF EXISTS outbox_atomicity_test ON outbox; "
                + "DROP FUNCTION IF EXISTS outbox_atomicity_test_fail();");
    }

    @Test
    void failedCommitLeavesNeitherOrderNorOutboxRow() {
        EventTables tables = new EventTables(this.jdbc);
        HttpResponse<byte[]> failed = post(FAILING_PRODUCT_ID);
        assertThat(failed.statusCode()).isEqualTo(503);
        assertThat(failed.body()).isEqualTo(ContractFixtures.goldenBytes(ContractFixtures.DATABASE_UNAVAILABLE));
        assertThat(tables.ordersOfProduct(FAILING_PRODUCT_ID)).isZero();
        assertThat(tables.outboxRowsOfProduct(FAILING_PRODUCT_ID)).isZero();

        // The same request for another product commits both rows: the trigger, not the write path, failed above.
        long ordersBefore = tables.ordersOfProduct(OTHER_PRODUCT_ID);
        assertThat(post(OTHER_PRODUCT_ID).statusCode()).isEqualTo(201);
        assertThat(tables.ordersOfProduct(OTHER_PRODUCT_ID)).isEqualTo(ordersBefore + 1);
        assertThat(tables.outboxRowsOfProduct(OTHER_PRODUCT_ID)).isEqualTo(ordersBefore + 1);
    }

    @Test
    void unknownCustomerWritesNothing() {
        EventTables tables = new EventTables(this.jdbc);
        String before = tables.writeFootprint();
        HttpResponse<byte[]> response = new TestHttp(this.port).post("/orders",
                "{\"customerId\":" + ContractFixtures.UNKNOWN_CUSTOMER_ID + ",\"productId\":" + FAILING_PRODUCT_ID
                        + ",\"quantity\":1}");
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(new String(response.body(), StandardCharsets.UTF_8)).contains("\"field\":\"customerId\"");
        assertThat(tables.writeFootprint()).isEqualTo(before);
    }

    private HttpResponse<byte[]> post(long productId) {
        return new TestHttp(this.port).post("/orders", "{\"customerId\":" + ContractFixtures.FIXTURE_CUSTOMER_ID
                + ",\"productId\":" + productId + ",\"quantity\":2}");
    }

    private static void execute(String sql) {
        TestDatabase database = TestDatabase.fromEnvironment();
        try (Connection connection = DriverManager.getConnection(database.jdbcUrl(), database.user(),
                database.password()); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
        catch (SQLException ex) {
            throw new IllegalStateException("Could not change the test trigger on outbox", ex);
        }
    }
}
