package dev.loombench.orders.webflux.order;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import reactor.core.scheduler.Schedulers;
import reactor.netty.resources.LoopResources;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.loombench.orders.domain.testing.ContractFixtures;
import dev.loombench.orders.domain.testing.GatedDownstream;
import dev.loombench.orders.domain.testing.TestHttp;
import dev.loombench.orders.webflux.TestInfrastructure;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The legacy blocking client runs on boundedElastic, never on the event loop, proven by behaviour: ONE Netty I/O
 * worker (surefire), {@value #REQUESTS} concurrent legacy requests on distinct stripes, and a downstream that
 * answers only once all of them wait together. Had the blocking call run on the event loop, one call at a time
 * could be in flight, the gate would never open and every request would end as the customer 502.
 * {@value #REQUESTS} is within boundedElastic's cap (10 × available processors) on any machine.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "ORDERS_HTTP_CLIENT_RESPONSE_TIMEOUT_MS=120000" })
class LegacyBlockingClientTests {

    static final int REQUESTS = 10;

    /** Only bounds a failing run; a passing one never waits for it. */
    static final Duration SAFETY_TIMEOUT = Duration.ofSeconds(30);

    static final GatedDownstream downstream = GatedDownstream.start(REQUESTS, SAFETY_TIMEOUT);

    @LocalServerPort
    int port;

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
    void blockingCallsWaitTogetherOffASingleEventLoop() {
        assertThat(LoopResources.DEFAULT_IO_WORKER_COUNT)
            .as("the premise: surefire runs the app with reactor.netty.ioWorkerCount=1")
            .isEqualTo(1);
        assertThat(Schedulers.DEFAULT_BOUNDED_ELASTIC_SIZE).isGreaterThanOrEqualTo(REQUESTS);
        TestHttp http = new TestHttp(this.port);

        // Ids ...01 to ...10 fall on 10 different of the 64 default stripes.
        List<CompletableFuture<HttpResponse<byte[]>>> responses = IntStream.range(0, REQUESTS)
            .mapToObj((i) -> http.getAsync("/legacy/customers/" + (ContractFixtures.FIXTURE_CUSTOMER_ID + i),
                    SAFETY_TIMEOUT.multipliedBy(3)))
            .toList();
        List<HttpResponse<byte[]>> done = responses.stream().map(CompletableFuture::join).toList();

        assertThat(done).extracting(HttpResponse::statusCode).containsOnly(200);
        assertThat(downstream.gateOpened()).isTrue();
        assertThat(downstream.maxConcurrentCustomerCalls()).isEqualTo(REQUESTS);
        assertThat(done.get(0).body()).isEqualTo(ContractFixtures.goldenBytes(ContractFixtures.LEGACY_CUSTOMER));
    }
}
