package dev.loombench.orders.mvc.order;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.loombench.orders.domain.testing.ContractFixtures;
import dev.loombench.orders.domain.testing.GatedDownstream;
import dev.loombench.orders.domain.testing.TestHttp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * {@code GET /legacy/customers/{id}} on mvc-virtual: the legacy client makes its blocking HttpURLConnection call
 * inside a {@code synchronized} stripe. With more concurrent requests ({@link #REQUESTS}) than virtual-thread
 * carriers ({@link #CARRIERS}), each on its own stripe (ids {@code base .. base + REQUESTS - 1}, stripes =
 * REQUESTS), the gated downstream answers only once all of them wait at the same time. All 200s therefore prove,
 * by behaviour and not by a clock, that a virtual thread blocked in I/O while holding a monitor released its
 * carrier: JEP 491, JDK 24 and later.
 * <p>
 * On JDK 21 the same requests would pin their carriers: at most {@link #CARRIERS} calls could wait downstream
 * together, the gate would never open, and every request would end as the customer 502 after the safety timeout.
 * That is not asserted here (the build runs its tests on the newest JDK); the harness measures it by running the
 * same jar on JDK 21 and 25. The test is skipped below JDK 24 rather than pretending otherwise.
 */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
        properties = { "ORDERS_VARIANT=mvc-virtual", "ORDERS_VIRTUAL_THREADS=true", "ORDERS_TOMCAT_MAX_THREADS=4",
                "ORDERS_HTTP_CLIENT_RESPONSE_TIMEOUT_MS=120000" })
class VirtualThreadLegacyPinningTests {

    /** What the JDK's virtual-thread scheduler uses: the property if set, else the available processors. */
    static final int CARRIERS = Integer.getInteger("jdk.virtualThreadScheduler.parallelism",
            Runtime.getRuntime().availableProcessors());

    /** More than the carriers, whatever the machine. */
    static final int REQUESTS = Math.max(2 * CARRIERS, CARRIERS + 8);

    /** Only bounds a failing run; a passing one never waits for it. */
    static final Duration SAFETY_TIMEOUT = Duration.ofSeconds(30);

    static final GatedDownstream downstream = GatedDownstream.start(REQUESTS, SAFETY_TIMEOUT);

    @LocalServerPort
    private int port;

    @DynamicPropertySource
    static void gatedDownstreamAndOneStripePerRequest(DynamicPropertyRegistry registry) {
        registry.add("orders.downstream.url", downstream::baseUrl);
        registry.add("orders.legacy.stripes", () -> REQUESTS);
    }

    @AfterAll
    static void stopDownstream() {
        downstream.close();
    }

    @Test
    void blockedLegacyCallsHoldingMonitorsDoNotPinCarriers() throws Exception {
        assumeThat(Runtime.version().feature()).as("JEP 491 (JDK 24+); on JDK 21 these calls pin")
            .isGreaterThanOrEqualTo(24);
        assertThat(REQUESTS).as("the premise: more requests than carriers").isGreaterThan(CARRIERS);
        TestHttp server = new TestHttp(this.port);
        assertThat(utf8(server.get("/test/thread"))).isEqualTo("virtual=true");

        List<HttpResponse<byte[]>> responses = new ArrayList<>();
        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<HttpResponse<byte[]>>> calls = new ArrayList<>();
            for (int i = 0; i < REQUESTS; i++) {
                long customerId = ContractFixtures.FIXTURE_CUSTOMER_ID + i;
                calls.add(callers.submit(() -> server.get("/legacy/customers/" + customerId,
                        SAFETY_TIMEOUT.multipliedBy(3))));
            }
            for (Future<HttpResponse<byte[]>> call : calls) {
                responses.add(call.get());
            }
        }

        assertThat(responses).extracting(HttpResponse::statusCode).containsOnly(200);
        assertThat(downstream.gateOpened()).isTrue();
        assertThat(downstream.maxConcurrentCustomerCalls()).isEqualTo(REQUESTS).isGreaterThan(CARRIERS);
        assertThat(responses.get(0).body()).isEqualTo(ContractFixtures.goldenBytes(ContractFixtures.LEGACY_CUSTOMER));
    }

    private static String utf8(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }
}
