package dev.loombench.orders.mvc.order;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;

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
 * One DB connection, a 1 s acquire timeout and 2 × 1.5 s of downstream delay per request: concurrent requests
 * only all succeed if the connection goes back to the pool before the HTTP calls start. (Holding it, as a
 * transaction around the chain would, makes the second request wait 3 s and fail.) The margins are wide so a
 * loaded CI machine does not turn six millisecond queries into a false failure.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
        properties = { "ORDERS_VIRTUAL_THREADS=true", "ORDERS_DB_POOL_SIZE=1", "ORDERS_DB_ACQUIRE_TIMEOUT_MS=1000",
                "ORDERS_DOWNSTREAM_DELAY_MS=1500", "ORDERS_HTTP_CLIENT_RESPONSE_TIMEOUT_MS=10000" })
class ConnectionReleaseTests {

    @LocalServerPort
    private int port;

    @BeforeAll
    static void requireInfrastructureAndFixtures() {
        TestDownstream.baseUrl();
        TestDatabase.fromEnvironment().insertFixtures();
    }

    @Test
    void dbConnectionIsNotHeldAcrossDownstreamCalls() throws Exception {
        TestHttp server = new TestHttp(this.port);
        server.get("/orders/" + ContractFixtures.FIXTURE_ORDER_ID); // warm the pool and the HTTP client
        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<HttpResponse<byte[]>>> calls = IntStream.range(0, 6)
                .mapToObj((i) -> callers.submit(() -> server.get("/orders/" + ContractFixtures.FIXTURE_ORDER_ID)))
                .toList();
            for (Future<HttpResponse<byte[]>> call : calls) {
                HttpResponse<byte[]> response = call.get();
                assertThat(response.statusCode()).isEqualTo(200);
                assertThat(response.body()).isEqualTo(ContractFixtures.goldenBytes(ContractFixtures.ORDER));
            }
        }
    }
}
