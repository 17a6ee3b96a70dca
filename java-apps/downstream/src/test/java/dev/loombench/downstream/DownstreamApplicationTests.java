package dev.loombench.downstream;

import java.time.Duration;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
class DownstreamApplicationTests {

    @LocalServerPort
    private int port;

    private WebTestClient client;

    @BeforeEach
    void bindToRunningServer() {
        this.client = WebTestClient.bindToServer()
            .baseUrl("http://127.0.0.1:" + this.port)
            .responseTimeout(Duration.ofSeconds(10))
            .build();
    }

    @Test
    void customerTierFollowsIdModuloThree() {
        this.client.get().uri("/customers/17?delayMs=0").exchange()
            .expectStatus().isOk()
            .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_JSON)
            .expectBody(String.class).isEqualTo("{\"id\":17,\"name\":\"Customer 17\",\"tier\":\"GOLD\"}");
        this.client.get().uri("/customers/900000001").exchange()
            .expectBody(String.class)
            .isEqualTo("{\"id\":900000001,\"name\":\"Customer 900000001\",\"tier\":\"SILVER\"}");
    }

    @Test
    void inventoryStockIsDerivedFromProductId() {
        this.client.get().uri("/inventory/342?delayMs=0").exchange()
            .expectStatus().isOk()
            .expectBody(String.class).isEqualTo("{\"productId\":342,\"available\":true,\"stock\":98}");
        // 100 * 7919 % 100 == 0: out of stock.
        this.client.get().uri("/inventory/100").exchange()
            .expectBody(String.class).isEqualTo("{\"productId\":100,\"available\":false,\"stock\":0}");
    }

    @Test
    void answersOnlyAfterTheRequestedDelay() {
        long start = System.nanoTime();
        this.client.get().uri("/customers/1?delayMs=300").exchange().expectStatus().isOk();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
    }

    @Test
    void rejectsBadIdsAndDelaysWithJsonErrors() {
        this.client.get().uri("/customers/abc").exchange()
            .expectStatus().isBadRequest()
            .expectHeader().contentType(MediaType.APPLICATION_JSON)
            .expectBody(String.class)
            .isEqualTo("{\"status\":400,\"error\":\"bad_request\",\"message\":\"customer id must be a positive integer\",\"field\":\"id\"}");
        this.client.get().uri("/inventory/0").exchange()
            .expectStatus().isBadRequest()
            .expectBody(String.class)
            .isEqualTo("{\"status\":400,\"error\":\"bad_request\",\"message\":\"product id must be a positive integer\",\"field\":\"productId\"}");
        this.client.get().uri("/customers/1?delayMs=-5").exchange()
            .expectStatus().isBadRequest()
            .expectBody(String.class)
            .isEqualTo("{\"status\":400,\"error\":\"bad_request\",\"message\":\"delayMs must be a non-negative integer\",\"field\":\"delayMs\"}");
    }

    @Test
    void exposesHealthAndPrometheus() {
        this.client.get().uri("/actuator/health").exchange().expectStatus().isOk()
            .expectBody().jsonPath("$.status").isEqualTo("UP");
        this.client.get().uri("/actuator/prometheus").exchange().expectStatus().isOk()
            .expectBody(String.class).value((body) -> assertThat(body).contains("http_server_requests"));
    }
}
