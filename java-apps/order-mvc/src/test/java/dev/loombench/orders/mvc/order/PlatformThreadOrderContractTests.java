package dev.loombench.orders.mvc.order;

import java.net.http.HttpResponse;

import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;

import static org.assertj.core.api.Assertions.assertThat;

// The ORDERS_* names are overridden as properties so the test also proves application.properties maps them.
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
        properties = { "ORDERS_VARIANT=mvc-platform", "ORDERS_VIRTUAL_THREADS=false", "ORDERS_DB_POOL_SIZE=7",
                "ORDERS_DB_ACQUIRE_TIMEOUT_MS=4000", "ORDERS_TOMCAT_MAX_THREADS=41",
                "ORDERS_TOMCAT_MAX_CONNECTIONS=555", "ORDERS_TOMCAT_ACCEPT_COUNT=77",
                "ORDERS_HTTP_CLIENT_MAX_CONNECTIONS=33", "ORDERS_HTTP_CLIENT_ACQUIRE_TIMEOUT_MS=1500",
                "ORDERS_HTTP_CLIENT_RESPONSE_TIMEOUT_MS=2500", "ORDERS_LEGACY_STRIPES=13",
                "ORDERS_DOWNSTREAM_DELAY_MS=3" })
class PlatformThreadOrderContractTests extends OrderContractTests {

    @Test
    void requestsRunOnPlatformThreads() {
        assertThat(utf8(server().get("/test/thread"))).isEqualTo("virtual=false");
    }

    @Test
    void infoReportsEffectiveSettings() {
        HttpResponse<byte[]> response = server().get("/actuator/info");
        assertThat(response.statusCode()).isEqualTo(200);
        String info = utf8(response);
        assertThat(info).contains("\"variant\":\"mvc-platform\"", "\"server\":\"tomcat\"", "\"virtualThreads\":false",
                "\"maxThreads\":41", "\"minSpareThreads\":41", "\"maxConnections\":555", "\"acceptCount\":77",
                "\"maxSize\":7", "\"minIdle\":7", "\"acquireTimeoutMs\":4000", "\"maxConnections\":33",
                "\"maxConnectionsPerRoute\":33", "\"acquireTimeoutMs\":1500", "\"responseTimeoutMs\":2500",
                "\"legacyClient\":{\"library\":\"HttpURLConnection\",\"stripes\":13,\"timeoutMs\":2500}",
                "\"workload\":{\"downstreamDelayMs\":3,\"legacyStripes\":13}",
                "\"availableProcessors\":", "\"inputArguments\":", "\"gc\":[", "\"virtualThreadCarriers\":",
                "\"gcThreads\":{\"parallel\":", "\"memoryLimitBytes\":",
                // Tomcat starts all min-spare (= max) request threads up front.
                "\"liveThreads\":{\"tomcat-exec\":41,\"tomcat-poller\":1,\"tomcat-acceptor\":1,");
        assertThat(info).containsPattern("\"library\":\"apache-httpclient5 5\\.\\d+").containsPattern("\"kind\":\"hikari \\d+\\.");
    }
}
