package dev.loombench.orders.mvc.order;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.loombench.orders.domain.testing.ContractFixtures;
import dev.loombench.orders.domain.testing.GatedDownstream;
import dev.loombench.orders.domain.testing.TestDatabase;
import dev.loombench.orders.domain.testing.TestHttp;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * mvc-virtual with Tomcat's max threads at {@value #MAX_THREADS}: a request blocked downstream holds only a
 * virtual thread, so {@value #REQUESTS} requests can wait at the downstream together. The downstream answers the
 * customer calls only once that many wait at the same time (else a 503 after a safety timeout, i.e. 502s here),
 * so all 200s prove the concurrency by behaviour, not by a stopwatch. (Its own class, not part of
 * VirtualThreadOrderContractTests, because the contract tests need the real downstream service.)
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
        properties = { "ORDERS_VARIANT=mvc-virtual", "ORDERS_VIRTUAL_THREADS=true",
                "ORDERS_TOMCAT_MAX_THREADS=" + VirtualThreadConcurrencyTests.MAX_THREADS,
                "ORDERS_HTTP_CLIENT_ACQUIRE_TIMEOUT_MS=120000", "ORDERS_HTTP_CLIENT_RESPONSE_TIMEOUT_MS=120000",
                "ORDERS_DB_ACQUIRE_TIMEOUT_MS=60000" })
class VirtualThreadConcurrencyTests {

    static final int MAX_THREADS = 4;

    static final int REQUESTS = 20;

    /** Only bounds a failing run; a passing one never waits for it. */
    static final Duration SAFETY_TIMEOUT = Duration.ofSeconds(30);

    static final GatedDownstream downstream = GatedDownstream.start(REQUESTS, SAFETY_TIMEOUT);

    @LocalServerPort
    private int port;

    @DynamicPropertySource
    static void gatedDownstream(DynamicPropertyRegistry registry) {
        registry.add("orders.downstream.url", downstream::baseUrl);
    }

    @BeforeAll
    static void insertFixtures() {
        TestDatabase.fromEnvironment().insertFixtures();
    }

    @AfterAll
    static void stopDownstream() {
        downstream.close();
    }

    @Test
    void moreRequestsThanTomcatThreadsAreInFlightTogether() throws Exception {
        TestHttp server = new TestHttp(this.port);
        List<HttpResponse<byte[]>> responses = ConcurrentCalls.get(server, REQUESTS, SAFETY_TIMEOUT.multipliedBy(3));

        assertThat(responses).extracting(HttpResponse::statusCode).containsOnly(200);
        assertThat(downstream.gateOpened()).isTrue();
        assertThat(downstream.maxConcurrentCustomerCalls()).isEqualTo(REQUESTS).isGreaterThan(MAX_THREADS);
        assertThat(responses.get(0).body()).isEqualTo(ContractFixtures.goldenBytes(ContractFixtures.ORDER));
    }

    /** Fires {@code count} order requests at once, over the fixture orders, and waits for every answer. */
    static final class ConcurrentCalls {

        private ConcurrentCalls() {
        }

        static List<HttpResponse<byte[]>> get(TestHttp server, int count, Duration timeout) throws Exception {
            try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<HttpResponse<byte[]>>> calls = IntStream.range(0, count)
                    .mapToObj((i) -> callers.submit(
                            () -> server.get("/orders/" + (ContractFixtures.FIXTURE_ORDER_ID + i % 10), timeout)))
                    .toList();
                List<HttpResponse<byte[]>> responses = new ArrayList<>();
                for (Future<HttpResponse<byte[]>> call : calls) {
                    responses.add(call.get());
                }
                return responses;
            }
        }
    }
}
