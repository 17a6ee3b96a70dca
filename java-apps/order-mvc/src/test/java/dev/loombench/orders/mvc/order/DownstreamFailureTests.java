package dev.loombench.orders.mvc.order;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;

import dev.loombench.orders.domain.testing.ContractFixtures;
import dev.loombench.orders.domain.testing.TestDatabase;
import dev.loombench.orders.domain.testing.TestDownstream;
import dev.loombench.orders.domain.testing.TestHttp;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A downstream slower than the response timeout is a 502 naming the first service in the chain; the legacy client
 * gets the same timeout as its read timeout, so it fails the same way.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
        properties = { "ORDERS_DOWNSTREAM_DELAY_MS=2000", "ORDERS_HTTP_CLIENT_RESPONSE_TIMEOUT_MS=200" })
class DownstreamFailureTests {

    @LocalServerPort
    private int port;

    @BeforeAll
    static void requireInfrastructureAndFixtures() {
        TestDownstream.baseUrl();
        TestDatabase.fromEnvironment().insertFixtures();
    }

    @Test
    void timeoutIsBadGateway() {
        HttpResponse<byte[]> response = new TestHttp(this.port).get("/orders/" + ContractFixtures.FIXTURE_ORDER_ID);
        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(new String(response.body(), StandardCharsets.UTF_8))
            .isEqualTo("{\"status\":502,\"error\":\"downstream_failed\",\"message\":\"customer service failed\"}");
    }

    @Test
    void legacyClientReadTimeoutIsBadGateway() {
        HttpResponse<byte[]> response = new TestHttp(this.port)
            .get("/legacy/customers/" + ContractFixtures.FIXTURE_CUSTOMER_ID);
        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(new String(response.body(), StandardCharsets.UTF_8))
            .isEqualTo("{\"status\":502,\"error\":\"downstream_failed\",\"message\":\"customer service failed\"}");
    }
}
