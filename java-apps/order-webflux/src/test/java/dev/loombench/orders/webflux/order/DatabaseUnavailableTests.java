package dev.loombench.orders.webflux.order;

import java.net.http.HttpResponse;

import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.loombench.orders.domain.testing.ClosedPort;
import dev.loombench.orders.domain.testing.ContractFixtures;
import dev.loombench.orders.domain.testing.TestHttp;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A database nobody listens on: the app still starts (the R2DBC pool connects lazily) and every order request
 * gets the shared 503 of design.md, byte for byte the body order-mvc sends, instead of WebFlux's default 500.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "ORDERS_DB_ACQUIRE_TIMEOUT_MS=2000", "ORDERS_DB_POOL_SIZE=2" })
class DatabaseUnavailableTests {

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void unreachableDatabase(DynamicPropertyRegistry registry) {
        int closedPort = ClosedPort.find();
        registry.add("spring.r2dbc.url", () -> "r2dbc:postgresql://127.0.0.1:" + closedPort + "/orders");
        // Never reached: the chain stops at the database.
        registry.add("orders.downstream.url", () -> "http://127.0.0.1:" + ClosedPort.find());
    }

    @Test
    void unreachableDatabaseMatchesTheGoldenServiceUnavailable() {
        TestHttp http = new TestHttp(this.port);
        for (int attempt = 0; attempt < 2; attempt++) {
            HttpResponse<byte[]> response = http.get("/orders/" + ContractFixtures.FIXTURE_ORDER_ID);

            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
            assertThat(response.body()).isEqualTo(ContractFixtures.goldenBytes(ContractFixtures.DATABASE_UNAVAILABLE));
        }
    }
}
