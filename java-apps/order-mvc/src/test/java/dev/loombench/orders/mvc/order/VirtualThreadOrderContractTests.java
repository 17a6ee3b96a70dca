package dev.loombench.orders.mvc.order;

import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;

import static org.assertj.core.api.Assertions.assertThat;

@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT,
        properties = { "ORDERS_VARIANT=mvc-virtual", "ORDERS_VIRTUAL_THREADS=true", "ORDERS_DB_POOL_SIZE=5" })
class VirtualThreadOrderContractTests extends OrderContractTests {

    @Test
    void requestsRunOnVirtualThreads() {
        assertThat(utf8(server().get("/test/thread"))).isEqualTo("virtual=true");
    }

    @Test
    void infoReportsVirtualThreadExecutor() {
        String info = utf8(server().get("/actuator/info"));
        assertThat(info).contains("\"variant\":\"mvc-virtual\"", "\"virtualThreads\":true",
                "\"executor\":\"org.apache.tomcat.util.threads.VirtualThreadExecutor\"", "\"maxSize\":5",
                // The defaults: 64 stripes, the response timeout as connect and read timeout.
                "\"legacyClient\":{\"library\":\"HttpURLConnection\",\"stripes\":64,\"timeoutMs\":5000}",
                // Requests run on virtual threads, which are not listed: no Tomcat pool threads at all.
                "\"liveThreads\":{\"tomcat-exec\":0,\"tomcat-poller\":1,\"tomcat-acceptor\":1,");
    }
}
