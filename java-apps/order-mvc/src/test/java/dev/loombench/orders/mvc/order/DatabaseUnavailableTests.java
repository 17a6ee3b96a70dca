package dev.loombench.orders.mvc.order;

import java.net.http.HttpResponse;

import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.loombench.orders.domain.testing.ClosedPort;
import dev.loombench.orders.domain.testing.ContractFixtures;
import dev.loombench.orders.domain.testing.TestHttp;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A database nobody listens on: Hikari starts without it (initialization-fail-timeout=-1, this test only), and
 * every order request gets the shared 503 of design.md once the acquire timeout ends, byte for byte the body
 * order-webflux sends, instead of Spring's default 500.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
        properties = { "ORDERS_DB_ACQUIRE_TIMEOUT_MS=1000", "ORDERS_DB_POOL_SIZE=2",
                "spring.datasource.hikari.initialization-fail-timeout=-1" })
class DatabaseUnavailableTests {

    @LocalServerPort
    private int port;

    @DynamicPropertySource
    static void unreachableDatabase(DynamicPropertyRegistry registry) {
        int closedPort = ClosedPort.find();
        registry.add("spring.datasource.url", () -> "jdbc:postgresql://127.0.0.1:" + closedPort + "/orders");
        // Never reached: the chain stops at the database.
        registry.add("orders.downstream.url", () -> "http://127.0.0.1:" + ClosedPort.find());
    }

    @Test
    void unreachableDatabaseMatchesGoldenServiceUnavailable() {
        TestHttp server = new TestHttp(this.port);
        for (int attempt = 0; attempt < 2; attempt++) {
            HttpResponse<byte[]> response = server.get("/orders/" + ContractFixtures.FIXTURE_ORDER_ID);
            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
            assertThat(response.body()).isEqualTo(ContractFixtures.goldenBytes(ContractFixtures.DATABASE_UNAVAILABLE));
        }
    }
}
