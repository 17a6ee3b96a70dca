package dev.loombench.orders.webflux.runtime;

import java.net.http.HttpResponse;

import org.junit.jupiter.api.Test;
import reactor.netty.resources.LoopResources;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.loombench.orders.domain.testing.TestHttp;
import dev.loombench.orders.webflux.TestInfrastructure;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The ORDERS_* values below travel env placeholder → property → live bean → /actuator/info; each is distinct
 * from every default, so a broken link in that chain shows up as a wrong number.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "ORDERS_VARIANT=webflux-under-test", "ORDERS_DB_POOL_SIZE=3",
                "ORDERS_DB_ACQUIRE_TIMEOUT_MS=2500", "ORDERS_HTTP_CLIENT_MAX_CONNECTIONS=7",
                "ORDERS_HTTP_CLIENT_ACQUIRE_TIMEOUT_MS=1234", "ORDERS_HTTP_CLIENT_RESPONSE_TIMEOUT_MS=4321",
                "ORDERS_LEGACY_STRIPES=9", "ORDERS_DOWNSTREAM_DELAY_MS=2" })
class RuntimeInfoTests {

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void infrastructure(DynamicPropertyRegistry registry) {
        TestInfrastructure.register(registry);
    }

    @Test
    void infoReportsTheEffectiveSettings() {
        HttpResponse<byte[]> response = new TestHttp(this.port).get("/actuator/info");
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode runtime = JsonMapper.builder().build().readTree(response.body()).path("runtime");

        assertThat(runtime.path("variant").asString()).isEqualTo("webflux-under-test");
        assertThat(runtime.path("server").asString()).isEqualTo("netty");
        assertThat(runtime.path("virtualThreads").asBoolean()).isFalse();
        // Actuator leaves null members out: the Tomcat part of the shared record does not apply here.
        assertThat(runtime.has("tomcat")).isFalse();
        assertThat(runtime.path("nettyIoWorkers").asInt()).isEqualTo(LoopResources.DEFAULT_IO_WORKER_COUNT);

        JsonNode dbPool = runtime.path("dbPool");
        assertThat(dbPool.path("kind").asString()).startsWith("r2dbc-pool 1.");
        assertThat(dbPool.path("maxSize").asInt()).isEqualTo(3);
        assertThat(dbPool.path("minIdle").asInt()).isEqualTo(3);
        assertThat(dbPool.path("acquireTimeoutMs").asLong()).isEqualTo(2500);

        JsonNode httpClient = runtime.path("httpClient");
        assertThat(httpClient.path("library").asString()).startsWith("reactor-netty 1.");
        assertThat(httpClient.path("maxConnections").asInt()).isEqualTo(7);
        assertThat(httpClient.path("maxConnectionsPerRoute").asInt()).isEqualTo(7);
        assertThat(httpClient.path("acquireTimeoutMs").asLong()).isEqualTo(1234);
        assertThat(httpClient.path("responseTimeoutMs").asLong()).isEqualTo(4321);

        JsonNode legacyClient = runtime.path("legacyClient");
        assertThat(legacyClient.path("library").asString()).isEqualTo("HttpURLConnection");
        assertThat(legacyClient.path("stripes").asInt()).isEqualTo(9);
        assertThat(legacyClient.path("timeoutMs").asLong()).isEqualTo(4321);

        JsonNode workload = runtime.path("workload");
        assertThat(workload.path("downstreamDelayMs").asLong()).isEqualTo(2);
        assertThat(workload.path("legacyStripes").asInt()).isEqualTo(9);
        assertThat(workload.propertyNames()).containsExactly("downstreamDelayMs", "legacyStripes");

        JsonNode jvm = runtime.path("jvm");
        assertThat(jvm.path("javaVersion").asString()).isEqualTo(System.getProperty("java.version"));
        assertThat(jvm.path("maxHeapBytes").asLong()).isPositive();
        assertThat(jvm.path("gc").isArray()).isTrue();
        assertThat(jvm.path("availableProcessors").asInt()).isEqualTo(Runtime.getRuntime().availableProcessors());
        // Without jdk.virtualThreadScheduler.parallelism the carriers follow the processors, as the JDK sizes them.
        assertThat(jvm.path("virtualThreadCarriers").asInt()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(jvm.path("gcThreads").path("parallel").asInt()).isPositive();
        assertThat(jvm.path("gcThreads").path("concurrent").asInt()).isNotNegative();
        assertThat(jvm.path("memoryLimitBytes").asLong()).isPositive();
    }

    /**
     * After one order request the database connection exists, so r2dbc-postgresql's own event loops are live next
     * to the server's; each pool has at most one loop per ioWorkerCount (one under surefire). Lazy pools that were
     * never started (here e.g. Reactor Netty's global HttpResources) are not listed.
     */
    @Test
    void infoCountsTheLiveThreadsOfEveryPool() {
        TestHttp http = new TestHttp(this.port);
        http.get("/orders/1");

        JsonNode threads = JsonMapper.builder().build().readTree(http.get("/actuator/info").body())
            .path("runtime").path("liveThreads");

        assertThat(threads.propertyNames()).as(threads.toString()).contains("total")
            .isSubsetOf("webflux-http-epoll", "webflux-http-nio", "reactor-http-epoll", "reactor-http-nio",
                    "reactor-tcp-epoll", "reactor-tcp-nio", "parallel", "boundedElastic", "total");
        int httpLoops = threads.path("webflux-http-epoll").asInt() + threads.path("webflux-http-nio").asInt();
        int tcpLoops = threads.path("reactor-tcp-epoll").asInt() + threads.path("reactor-tcp-nio").asInt();
        assertThat(httpLoops).as(threads.toString()).isBetween(1, LoopResources.DEFAULT_IO_WORKER_COUNT);
        assertThat(tcpLoops).as(threads.toString()).isBetween(1, LoopResources.DEFAULT_IO_WORKER_COUNT);
        assertThat(threads.path("total").asInt()).isGreaterThanOrEqualTo(httpLoops + tcpLoops);
    }

    @Test
    void healthIsUpAndPrometheusShowsBothPools() {
        TestHttp http = new TestHttp(this.port);
        http.get("/orders/1");

        HttpResponse<byte[]> health = http.get("/actuator/health");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(new String(health.body())).contains("\"status\":\"UP\"");

        HttpResponse<byte[]> prometheus = http.get("/actuator/prometheus");
        assertThat(prometheus.statusCode()).isEqualTo(200);
        assertThat(new String(prometheus.body())).contains("r2dbc_pool_max_allocated")
            .contains("http_server_requests_seconds");
    }
}
