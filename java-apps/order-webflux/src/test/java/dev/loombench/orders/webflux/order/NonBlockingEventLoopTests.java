package dev.loombench.orders.webflux.order;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import reactor.netty.resources.LoopResources;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.loombench.orders.domain.testing.ContractFixtures;
import dev.loombench.orders.domain.testing.GatedDownstream;
import dev.loombench.orders.domain.testing.TestHttp;
import dev.loombench.orders.webflux.TestInfrastructure;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The handler never blocks its event loop, proven by behaviour rather than by a stopwatch. The app runs on ONE
 * Netty I/O worker (surefire sets {@code reactor.netty.ioWorkerCount=1}) against a downstream that answers the
 * customer calls only once {@value #REQUESTS} of them wait at the same time. A handler that held the loop while
 * waiting would leave one call in flight, the gate would never open, and every request would end as a 502 after
 * the safety timeout. All 200s therefore mean {@value #REQUESTS} requests were in flight together on one loop,
 * however slow the machine is.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "ORDERS_HTTP_CLIENT_MAX_CONNECTIONS=64", "ORDERS_HTTP_CLIENT_ACQUIRE_TIMEOUT_MS=120000",
                "ORDERS_HTTP_CLIENT_RESPONSE_TIMEOUT_MS=120000", "ORDERS_DB_ACQUIRE_TIMEOUT_MS=60000" })
class NonBlockingEventLoopTests {

    static final int REQUESTS = 20;

    /** Only bounds a failing run; a passing one never waits for it. */
    static final Duration SAFETY_TIMEOUT = Duration.ofSeconds(30);

    static final GatedDownstream downstream = GatedDownstream.start(REQUESTS, SAFETY_TIMEOUT);

    @LocalServerPort
    int port;

    @Autowired
    DatabaseClient database;

    @DynamicPropertySource
    static void infrastructure(DynamicPropertyRegistry registry) {
        TestInfrastructure.register(registry);
        registry.add("orders.downstream.url", downstream::baseUrl);
    }

    @AfterAll
    static void stopDownstream() {
        downstream.close();
    }

    @Test
    void requestsWaitingDownstreamAreAllInFlightOnASingleEventLoop() {
        assertThat(LoopResources.DEFAULT_IO_WORKER_COUNT)
            .as("the premise: surefire runs the app with reactor.netty.ioWorkerCount=1")
            .isEqualTo(1);
        TestInfrastructure.insertFixtures(this.database);
        TestHttp http = new TestHttp(this.port);

        List<CompletableFuture<HttpResponse<byte[]>>> responses = IntStream.range(0, REQUESTS)
            .mapToObj((i) -> http.getAsync("/orders/" + (ContractFixtures.FIXTURE_ORDER_ID + i % 10),
                    SAFETY_TIMEOUT.multipliedBy(3)))
            .toList();
        List<HttpResponse<byte[]>> done = responses.stream().map(CompletableFuture::join).toList();

        assertThat(done).extracting(HttpResponse::statusCode).containsOnly(200);
        assertThat(downstream.gateOpened()).isTrue();
        assertThat(downstream.maxConcurrentCustomerCalls()).isEqualTo(REQUESTS);
        // The gated stand-in expands orders exactly as the real service does.
        assertThat(done.get(0).body()).isEqualTo(ContractFixtures.goldenBytes(ContractFixtures.ORDER));
    }
}
