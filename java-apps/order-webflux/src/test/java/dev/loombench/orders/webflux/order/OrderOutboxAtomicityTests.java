package dev.loombench.orders.webflux.order;

import java.net.http.HttpResponse;
import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.loombench.orders.domain.testing.ContractFixtures;
import dev.loombench.orders.domain.testing.TestHttp;
import dev.loombench.orders.webflux.TestInfrastructure;
import dev.loombench.orders.webflux.messaging.TestEvents;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The order and its outbox row commit together or not at all. A trigger on the real outbox table rejects the event
 * of one product id only (no other writer uses it), so the order insert before it has succeeded when the transaction
 * fails: afterwards neither row exists. The answer is the 503 of any database failure.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class OrderOutboxAtomicityTests {

    /** Far outside the seed's and the other tests' products. */
    private static final long REJECTED_PRODUCT_ID = 987654321L;

    private static final String FUNCTION = "jwf_reject_outbox_for_test";

    private static final String TRIGGER = "jwf_reject_outbox_for_test";

    @LocalServerPort
    int port;

    @Autowired
    DatabaseClient database;

    @DynamicPropertySource
    static void infrastructure(DynamicPropertyRegistry registry) {
        TestInfrastructure.register(registry);
    }

    @BeforeEach
    void installTrigger() {
        TestInfrastructure.insertFixtures(this.database);
        execute("CREATE OR REPLACE FUNCTION " + FUNCTION + "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                + "IF NEW.payload LIKE '%\"productId\":" + REJECTED_PRODUCT_ID + ",%' THEN "
                + "RAISE EXCEPTION 'outbox insert rejected by test trigger'; END IF; RETURN NEW; END $$");
        execute("DROP TRIGGER IF EXISTS " + TRIGGER + " ON outbox");
        execute("CREATE TRIGGER " + TRIGGER + " BEFORE INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION " + FUNCTION
                + "()");
    }

    @AfterEach
    void removeTrigger() {
        execute("DROP TRIGGER IF EXISTS " + TRIGGER + " ON outbox");
        execute("DROP FUNCTION IF EXISTS " + FUNCTION + "()");
    }

    @Test
    void failedOutboxInsertRollsTheOrderBack() {
        TestEvents events = new TestEvents(this.database);
        String body = "{\"customerId\":" + ContractFixtures.FIXTURE_CUSTOMER_ID + ",\"productId\":"
                + REJECTED_PRODUCT_ID + ",\"quantity\":1}";

        HttpResponse<byte[]> response = new TestHttp(this.port).post("/orders", body);

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.body()).isEqualTo(ContractFixtures.goldenBytes(ContractFixtures.DATABASE_UNAVAILABLE));
        assertThat(events.count("SELECT count(*) FROM orders WHERE product_id = " + REJECTED_PRODUCT_ID)).isZero();
        assertThat(events.count("SELECT count(*) FROM outbox WHERE payload LIKE '%\"productId\":"
                + REJECTED_PRODUCT_ID + ",%'")).isZero();
    }

    private void execute(String sql) {
        this.database.sql(sql).then().block(Duration.ofSeconds(10));
    }
}
