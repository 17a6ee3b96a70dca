package dev.loombench.orders.mvc.order;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.web.server.LocalServerPort;

import dev.loombench.orders.domain.testing.ContractFixtures;
import dev.loombench.orders.domain.testing.TestDatabase;
import dev.loombench.orders.domain.testing.TestDownstream;
import dev.loombench.orders.mvc.testsupport.LiveServer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The cross-variant contract: bodies must equal the shared golden files byte for byte. Runs against the real
 * PostgreSQL and downstream service of {@code harness infra exec}; subclasses pick the threading model.
 */
abstract class OrderContractTests {

    @LocalServerPort
    private int port;

    @BeforeAll
    static void requireInfrastructureAndFixtures() {
        TestDownstream.baseUrl();
        TestDatabase.fromEnvironment().insertFixtures();
    }

    protected LiveServer server() {
        return new LiveServer(this.port);
    }

    @Test
    void fixtureOrderMatchesGoldenDocument() {
        HttpResponse<byte[]> response = server().get("/orders/" + ContractFixtures.FIXTURE_ORDER_ID);
        assertThat(response.statusCode()).isEqualTo(200);
        assertJson(response);
        assertThat(utf8(response)).isEqualTo(ContractFixtures.golden(ContractFixtures.ORDER));
        assertThat(response.body()).isEqualTo(ContractFixtures.goldenBytes(ContractFixtures.ORDER));
    }

    @Test
    void unknownOrderMatchesGoldenNotFound() {
        HttpResponse<byte[]> response = server().get("/orders/" + ContractFixtures.UNKNOWN_ORDER_ID);
        assertThat(response.statusCode()).isEqualTo(404);
        assertJson(response);
        assertThat(response.body()).isEqualTo(ContractFixtures.goldenBytes(ContractFixtures.NOT_FOUND));
    }

    @Test
    void invalidIdMatchesGoldenBadRequest() {
        HttpResponse<byte[]> response = server().get("/orders/" + ContractFixtures.INVALID_ORDER_ID);
        assertThat(response.statusCode()).isEqualTo(400);
        assertJson(response);
        assertThat(response.body()).isEqualTo(ContractFixtures.goldenBytes(ContractFixtures.BAD_REQUEST));
    }

    @Test
    void outOfRangeIdsAreBadRequestsToo() {
        for (String id : new String[] { "0", "-1", "9223372036854775808" }) {
            HttpResponse<byte[]> response = server().get("/orders/" + id);
            assertThat(response.statusCode()).as(id).isEqualTo(400);
            assertThat(response.body()).as(id).isEqualTo(ContractFixtures.goldenBytes(ContractFixtures.BAD_REQUEST));
        }
    }

    @Test
    void quoteMatchesGoldenDocument() {
        HttpResponse<byte[]> response = server()
            .get("/quotes/" + ContractFixtures.FIXTURE_ORDER_ID + "?rounds=" + ContractFixtures.QUOTE_ROUNDS);
        assertThat(response.statusCode()).isEqualTo(200);
        assertJson(response);
        assertThat(response.body()).isEqualTo(ContractFixtures.goldenBytes(ContractFixtures.QUOTE));
    }

    @Test
    void badRoundsMatchGoldenBadRounds() {
        String base = "/quotes/" + ContractFixtures.FIXTURE_ORDER_ID;
        for (String query : new String[] { "", "?rounds=", "?rounds=0", "?rounds=-1",
                "?rounds=" + ContractFixtures.TOO_MANY_ROUNDS, "?rounds=abc", "?rounds=1.5", "?rounds=%2B1" }) {
            HttpResponse<byte[]> response = server().get(base + query);
            assertThat(response.statusCode()).as(query).isEqualTo(400);
            assertJson(response);
            assertThat(response.body()).as(query).isEqualTo(ContractFixtures.goldenBytes(ContractFixtures.BAD_ROUNDS));
        }
    }

    @Test
    void badQuoteIdMatchesGoldenBadRequestAndIsCheckedBeforeRounds() {
        for (String path : new String[] { "/quotes/abc?rounds=10", "/quotes/0?rounds=10", "/quotes/abc" }) {
            HttpResponse<byte[]> response = server().get(path);
            assertThat(response.statusCode()).as(path).isEqualTo(400);
            assertJson(response);
            assertThat(response.body()).as(path).isEqualTo(ContractFixtures.goldenBytes(ContractFixtures.BAD_REQUEST));
        }
    }

    @Test
    void legacyCustomerMatchesGoldenDocument() {
        HttpResponse<byte[]> response = server().get("/legacy/customers/" + ContractFixtures.FIXTURE_CUSTOMER_ID);
        assertThat(response.statusCode()).isEqualTo(200);
        assertJson(response);
        assertThat(response.body()).isEqualTo(ContractFixtures.goldenBytes(ContractFixtures.LEGACY_CUSTOMER));
    }

    @Test
    void badLegacyCustomerIdMatchesGoldenBadCustomerId() {
        for (String id : new String[] { "abc", "0", "-1", "9223372036854775808" }) {
            HttpResponse<byte[]> response = server().get("/legacy/customers/" + id);
            assertThat(response.statusCode()).as(id).isEqualTo(400);
            assertJson(response);
            assertThat(response.body()).as(id)
                .isEqualTo(ContractFixtures.goldenBytes(ContractFixtures.BAD_CUSTOMER_ID));
        }
    }

    @Test
    void healthIsUp() {
        HttpResponse<byte[]> response = server().get("/actuator/health");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(utf8(response)).contains("\"status\":\"UP\"");
    }

    protected static String utf8(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    private static void assertJson(HttpResponse<byte[]> response) {
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    }
}
