package dev.loombench.orders.mvc.order;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.loombench.orders.domain.testing.GatedDownstream;
import dev.loombench.orders.domain.testing.TestDatabase;
import dev.loombench.orders.domain.testing.TestHttp;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The counterpart of VirtualThreadConcurrencyTests on platform threads: with Tomcat's max threads at
 * {@value #MAX_THREADS} no more than that many requests can ever wait downstream together, so the gate of
 * {@value #REQUESTS} never opens and every request ends as the customer 502 once the (short) safety timeout
 * answers 503. The upper bound asserted is a count of concurrent calls, which the thread limit guarantees; the
 * timeout only keeps the run short and is never measured.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
        properties = { "ORDERS_VARIANT=mvc-platform", "ORDERS_VIRTUAL_THREADS=false",
                "ORDERS_TOMCAT_MAX_THREADS=" + PlatformThreadConcurrencyTests.MAX_THREADS,
                "ORDERS_HTTP_CLIENT_ACQUIRE_TIMEOUT_MS=120000", "ORDERS_HTTP_CLIENT_RESPONSE_TIMEOUT_MS=120000",
                "ORDERS_DB_ACQUIRE_TIMEOUT_MS=60000" })
class PlatformThreadConcurrencyTests {

    static final int MAX_THREADS = 4;

    static final int REQUESTS = 20;

    static final GatedDownstream downstream = GatedDownstream.start(REQUESTS, Duration.ofSeconds(1));

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
    void noMoreRequestsThanTomcatThreadsAreInFlightTogether() throws Exception {
        List<HttpResponse<byte[]>> responses = VirtualThreadConcurrencyTests.ConcurrentCalls
            .get(new TestHttp(this.port), REQUESTS, Duration.ofMinutes(2));

        assertThat(responses).extracting(HttpResponse::statusCode).containsOnly(502);
        assertThat(responses).extracting((response) -> new String(response.body(), StandardCharsets.UTF_8))
            .containsOnly("{\"status\":502,\"error\":\"downstream_failed\",\"message\":\"customer service failed\"}");
        assertThat(downstream.customerCalls()).isEqualTo(REQUESTS);
        assertThat(downstream.gateOpened()).isFalse();
        assertThat(downstream.maxConcurrentCustomerCalls()).isBetween(1, MAX_THREADS);
    }
}
