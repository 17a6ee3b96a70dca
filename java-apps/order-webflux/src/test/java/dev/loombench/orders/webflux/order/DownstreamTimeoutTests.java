package dev.loombench.orders.webflux.order;

import java.net.http.HttpResponse;

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

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A downstream slower than ORDERS_HTTP_CLIENT_RESPONSE_TIMEOUT_MS ends in the customer 502, not a hang. The
 * status alone proves the timeout fired: without it the real service would answer after its 2 s delay and the
 * order would be a 200. The legacy client uses the same timeout as its read timeout and fails the same way.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "ORDERS_DOWNSTREAM_DELAY_MS=2000", "ORDERS_HTTP_CLIENT_RESPONSE_TIMEOUT_MS=200" })
class DownstreamTimeoutTests {

    @LocalServerPort
    int port;

    @Autowired
    DatabaseClient database;

    @DynamicPropertySource
    static void infrastructure(DynamicPropertyRegistry registry) {
        TestInfrastructure.register(registry);
    }

    @Test
    void slowCustomerServiceIsABadGateway() {
        TestInfrastructure.insertFixtures(this.database);

        HttpResponse<byte[]> response = new TestHttp(this.port).get("/orders/" + ContractFixtures.FIXTURE_ORDER_ID);

        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(new String(response.body()))
            .isEqualTo("{\"status\":502,\"error\":\"downstream_failed\",\"message\":\"customer service failed\"}");
    }

    @Test
    void slowCustomerServiceIsABadGatewayForTheLegacyClientToo() {
        HttpResponse<byte[]> response = new TestHttp(this.port)
            .get("/legacy/customers/" + ContractFixtures.FIXTURE_CUSTOMER_ID);

        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(new String(response.body()))
            .isEqualTo("{\"status\":502,\"error\":\"downstream_failed\",\"message\":\"customer service failed\"}");
    }
}
