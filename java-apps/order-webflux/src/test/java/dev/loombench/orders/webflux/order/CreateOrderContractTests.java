package dev.loombench.orders.webflux.order;

import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.loombench.orders.domain.testing.ContractFixtures;
import dev.loombench.orders.domain.testing.TestHttp;
import dev.loombench.orders.webflux.TestInfrastructure;
import dev.loombench.orders.webflux.messaging.TestEvents;
import dev.loombench.orders.webflux.messaging.TestEvents.OutboxEntry;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code POST /orders} against the real database, byte for byte the golden files order-mvc is held to. No broker:
 * the write path never touches one.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class CreateOrderContractTests {

    @LocalServerPort
    int port;

    @Autowired
    DatabaseClient database;

    TestHttp http;

    TestEvents events;

    @DynamicPropertySource
    static void infrastructure(DynamicPropertyRegistry registry) {
        TestInfrastructure.register(registry);
    }

    @BeforeEach
    void setUp() {
        TestInfrastructure.insertFixtures(this.database);
        this.http = new TestHttp(this.port);
        this.events = new TestEvents(this.database);
    }

    @Test
    void createdOrderAndItsOutboxEventMatchTheGoldenDocuments() {
        HttpResponse<byte[]> response = this.http.post("/orders", ContractFixtures.NEW_ORDER_BODY);

        assertThat(response.statusCode()).as(new String(response.body())).isEqualTo(201);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        String location = response.headers().firstValue("Location").orElseThrow();
        assertThat(location).matches("/orders/\\d+");
        long id = Long.parseLong(location.substring("/orders/".length()));

        Instant createdAt = this.events.orderCreatedAt(id).orElseThrow();
        List<OutboxEntry> outbox = this.events.outbox(id);
        assertThat(outbox).hasSize(1);
        OutboxEntry event = outbox.get(0);
        assertThat(new String(response.body()))
            .isEqualTo(ContractFixtures.createdOrder(ContractFixtures.CREATED_ORDER, id, createdAt, event.eventId()));
        assertThat(event.payload()).isEqualTo(
                ContractFixtures.createdOrder(ContractFixtures.ORDER_CREATED_EVENT, id, createdAt, event.eventId()));
        assertThat(event.published()).as("no broker, no relay").isFalse();
    }

    @ParameterizedTest
    @MethodSource("invalidNewOrders")
    void invalidBodyMatchesItsGoldenBadRequestAndWritesNothing(String body, String golden) {
        long outboxBefore = this.events.count("SELECT count(*) FROM outbox");
        long ordersBefore = this.events.count("SELECT count(*) FROM orders WHERE id >= 1000000000");

        HttpResponse<byte[]> response = this.http.post("/orders", body);

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(response.body()).isEqualTo(ContractFixtures.goldenBytes(golden));
        // Global totals: test classes run one at a time, and Maven builds order-mvc and order-webflux in turn.
        assertThat(this.events.count("SELECT count(*) FROM outbox")).isEqualTo(outboxBefore);
        assertThat(this.events.count("SELECT count(*) FROM orders WHERE id >= 1000000000")).isEqualTo(ordersBefore);
    }

    static Stream<Arguments> invalidNewOrders() {
        return ContractFixtures.INVALID_NEW_ORDERS.entrySet()
            .stream()
            .map((Map.Entry<String, String> entry) -> Arguments.of(entry.getKey(), entry.getValue()));
    }
}
