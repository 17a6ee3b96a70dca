package dev.loombench.orders.webflux.order;

import java.net.http.HttpResponse;
import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.loombench.orders.domain.error.ApiError;
import dev.loombench.orders.domain.error.DownstreamService;
import dev.loombench.orders.domain.testing.ContractFixtures;
import dev.loombench.orders.domain.testing.TestHttp;
import dev.loombench.orders.webflux.TestInfrastructure;

import static org.assertj.core.api.Assertions.assertThat;

/** The HTTP contract of design.md against the real database and downstream service, byte for byte. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "ORDERS_DOWNSTREAM_DELAY_MS=" + OrderContractTests.DOWNSTREAM_DELAY_MS,
                "ORDERS_HTTP_CLIENT_MAX_CONNECTIONS=64" })
class OrderContractTests {

    static final long DOWNSTREAM_DELAY_MS = 400;

    /** Outside the domain's fixture range; product 0 makes the real inventory service answer 400. */
    private static final long ORDER_WITH_INVALID_PRODUCT = 900000901L;

    @LocalServerPort
    int port;

    @Autowired
    DatabaseClient database;
    TestHttp http;

    @DynamicPropertySource
    static void infrastructure(DynamicPropertyRegistry registry) {
        TestInfrastructure.register(registry);
    }

    @BeforeEach
    void setUp() {
        TestInfrastructure.insertFixtures(this.database);
        this.http = new TestHttp(this.port);
    }

    @AfterEach
    void removeOwnRows() {
        this.database.sql("DELETE FROM orders WHERE id = $1").bind(0, ORDER_WITH_INVALID_PRODUCT).then()
            .block(Duration.ofSeconds(10));
    }

    @Test
    void orderMatchesTheGoldenDocument() {
        HttpResponse<byte[]> response = this.http.get("/orders/" + ContractFixtures.FIXTURE_ORDER_ID);

        assertThat(response.statusCode()).isEqualTo(200);
        assertJson(response);
        assertThat(response.body()).isEqualTo(ContractFixtures.goldenBytes(ContractFixtures.ORDER));
    }

    @Test
    void fractionalSecondsOfCreatedAtSurviveAsInstant() {
        HttpResponse<byte[]> response = this.http.get("/orders/900000003");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(new String(response.body())).contains("\"createdAt\":\"2026-01-03T08:15:30.123456Z\"");
    }

    @Test
    void unknownOrderMatchesTheGoldenNotFound() {
        HttpResponse<byte[]> response = this.http.get("/orders/" + ContractFixtures.UNKNOWN_ORDER_ID);

        assertThat(response.statusCode()).isEqualTo(404);
        assertJson(response);
        assertThat(response.body()).isEqualTo(ContractFixtures.goldenBytes(ContractFixtures.NOT_FOUND));
    }

    @ParameterizedTest
    @ValueSource(strings = { ContractFixtures.INVALID_ORDER_ID, "0", "-1", "%2B1", "1.5", "9223372036854775808" })
    void invalidIdMatchesTheGoldenBadRequest(String rawId) {
        HttpResponse<byte[]> response = this.http.get("/orders/" + rawId);

        assertThat(response.statusCode()).isEqualTo(400);
        assertJson(response);
        assertThat(response.body()).isEqualTo(ContractFixtures.goldenBytes(ContractFixtures.BAD_REQUEST));
    }

    @Test
    void quoteMatchesTheGoldenDocument() {
        HttpResponse<byte[]> response = this.http
            .get("/quotes/" + ContractFixtures.FIXTURE_ORDER_ID + "?rounds=" + ContractFixtures.QUOTE_ROUNDS);

        assertThat(response.statusCode()).isEqualTo(200);
        assertJson(response);
        assertThat(response.body()).isEqualTo(ContractFixtures.goldenBytes(ContractFixtures.QUOTE));
    }

    @ParameterizedTest
    @ValueSource(strings = { "", "?rounds=", "?rounds=0", "?rounds=-1", "?rounds=" + ContractFixtures.TOO_MANY_ROUNDS,
            "?rounds=abc", "?rounds=1.5", "?rounds=%2B1" })
    void badRoundsMatchTheGoldenBadRounds(String query) {
        HttpResponse<byte[]> response = this.http.get("/quotes/" + ContractFixtures.FIXTURE_ORDER_ID + query);

        assertThat(response.statusCode()).isEqualTo(400);
        assertJson(response);
        assertThat(response.body()).isEqualTo(ContractFixtures.goldenBytes(ContractFixtures.BAD_ROUNDS));
    }

    /** The id is checked first, with the order-id rules, so a bad id wins over bad rounds. */
    @ParameterizedTest
    @ValueSource(strings = { "/quotes/abc?rounds=10", "/quotes/0?rounds=10", "/quotes/abc" })
    void badQuoteIdMatchesTheGoldenBadRequest(String path) {
        HttpResponse<byte[]> response = this.http.get(path);

        assertThat(response.statusCode()).isEqualTo(400);
        assertJson(response);
        assertThat(response.body()).isEqualTo(ContractFixtures.goldenBytes(ContractFixtures.BAD_REQUEST));
    }

    @Test
    void legacyCustomerMatchesTheGoldenDocument() {
        HttpResponse<byte[]> response = this.http.get("/legacy/customers/" + ContractFixtures.FIXTURE_CUSTOMER_ID);

        assertThat(response.statusCode()).isEqualTo(200);
        assertJson(response);
        assertThat(response.body()).isEqualTo(ContractFixtures.goldenBytes(ContractFixtures.LEGACY_CUSTOMER));
    }

    @ParameterizedTest
    @ValueSource(strings = { "abc", "0", "-1", "9223372036854775808" })
    void badLegacyCustomerIdMatchesTheGoldenBadCustomerId(String rawId) {
        HttpResponse<byte[]> response = this.http.get("/legacy/customers/" + rawId);

        assertThat(response.statusCode()).isEqualTo(400);
        assertJson(response);
        assertThat(response.body()).isEqualTo(ContractFixtures.goldenBytes(ContractFixtures.BAD_CUSTOMER_ID));
    }

    @Test
    void failingInventoryServiceIsABadGateway() {
        this.database
            .sql("INSERT INTO orders (id, customer_id, product_id, quantity, total_cents, status, created_at) "
                    + "VALUES ($1, $2, 0, 1, 100, 'CREATED', now()) ON CONFLICT DO NOTHING")
            .bind(0, ORDER_WITH_INVALID_PRODUCT)
            .bind(1, ContractFixtures.FIXTURE_ORDER_ID)
            .then()
            .block(Duration.ofSeconds(10));

        HttpResponse<byte[]> response = this.http.get("/orders/" + ORDER_WITH_INVALID_PRODUCT);

        assertThat(response.statusCode()).isEqualTo(502);
        assertJson(response);
        assertThat(new String(response.body()))
            .isEqualTo("{\"status\":502,\"error\":\"downstream_failed\",\"message\":\"inventory service failed\"}");
        assertThat(ApiError.downstreamFailed(DownstreamService.INVENTORY).status()).isEqualTo(502);
    }

    /**
     * In parallel the two calls would cost one delay; one after the other, as design.md fixes, they cost two. A
     * lower bound only: the downstream's delays guarantee it however slow the machine; no upper bound is asserted.
     */
    @Test
    void customerAndInventoryAreFetchedOneAfterTheOther() {
        this.http.get("/orders/" + ContractFixtures.FIXTURE_ORDER_ID);

        long start = System.nanoTime();
        HttpResponse<byte[]> response = this.http.get("/orders/" + ContractFixtures.FIXTURE_ORDER_ID);
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(elapsed).isGreaterThanOrEqualTo(Duration.ofMillis(2 * DOWNSTREAM_DELAY_MS));
    }

    private static void assertJson(HttpResponse<byte[]> response) {
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    }
}
