package dev.loombench.orders.mvc.order;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import org.springframework.jdbc.core.simple.JdbcClient;

import dev.loombench.orders.domain.testing.ContractFixtures;
import dev.loombench.orders.domain.testing.TestDatabase;
import dev.loombench.orders.domain.testing.TestDownstream;
import dev.loombench.orders.domain.testing.TestHttp;
import dev.loombench.orders.mvc.messaging.consumer.OrderEventProcessor;
import dev.loombench.orders.mvc.messaging.relay.OutboxPublisher;
import dev.loombench.orders.mvc.messaging.relay.OutboxRelay;
import dev.loombench.orders.mvc.testsupport.EventTables;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The cross-variant contract: bodies must equal the shared golden files byte for byte. Runs against the real
 * PostgreSQL and downstream service of {@code harness infra exec}; subclasses pick the threading model.
 */
abstract class OrderContractTests {

    @LocalServerPort
    private int port;

    @Autowired
    private JdbcClient jdbc;

    @Autowired
    private ApplicationContext context;

    @BeforeAll
    static void requireInfrastructureAndFixtures() {
        TestDownstream.baseUrl();
        TestDatabase.fromEnvironment().insertFixtures();
    }

    protected TestHttp server() {
        return new TestHttp(this.port);
    }

    @Test
    void fixtureOrderMatchesGoldenDocument() {
        HttpResponse<byte[]> response = server().get("/orders/" + ContractFixtures.FIXTURE_ORDER_ID);
        assertThat(response.statusCode()).isEqualTo(200);
        assertJson(response);
        assertThat(utf8(response)).isEqualTo(ContractFixtures.golden(ContractFixtures.ORDER));
        assertThat(response.body()).isEqualTo(ContractFixtures.goldenBytes(ContractFixtures.ORDER));
    }

    @Test
    void unknownOrderMatchesGoldenNotFound() {
        HttpResponse<byte[]> response = server().get("/orders/" + ContractFixtures.UNKNOWN_ORDER_ID);
        assertThat(response.statusCode()).isEqualTo(404);
        assertJson(response);
        assertThat(response.body()).isEqualTo(ContractFixtures.goldenBytes(ContractFixtures.NOT_FOUND));
    }

    @Test
    void invalidIdMatchesGoldenBadRequest() {
        HttpResponse<byte[]> response = server().get("/orders/" + ContractFixtures.INVALID_ORDER_ID);
        assertThat(response.statusCode()).isEqualTo(400);
        assertJson(response);
        assertThat(response.body()).isEqualTo(ContractFixtures.goldenBytes(ContractFixtures.BAD_REQUEST));
    }

    @Test
    void outOfRangeIdsAreBadRequestsToo() {
        for (String id : new String[] { "0", "-1", "9223372036854775808" }) {
            HttpResponse<byte[]> response = server().get("/orders/" + id);
            assertThat(response.statusCode()).as(id).isEqualTo(400);
            assertThat(response.body()).as(id).isEqualTo(ContractFixtures.goldenBytes(ContractFixtures.BAD_REQUEST));
        }
    }

    @Test
    void quoteMatchesGoldenDocument() {
        HttpResponse<byte[]> response = server()
            .get("/quotes/" + ContractFixtures.FIXTURE_ORDER_ID + "?rounds=" + ContractFixtures.QUOTE_ROUNDS);
        assertThat(response.statusCode()).isEqualTo(200);
        assertJson(response);
        assertThat(response.body()).isEqualTo(ContractFixtures.goldenBytes(ContractFixtures.QUOTE));
    }

    @Test
    void badRoundsMatchGoldenBadRounds() {
        String base = "/quotes/" + ContractFixtures.FIXTURE_ORDER_ID;
        for (String query : new String[] { "", "?rounds=", "?rounds=0", "?rounds=-1",
                "?rounds=" + ContractFixtures.TOO_MANY_ROUNDS, "?rounds=abc", "?rounds=1.5", "?rounds=%2B1" }) {
            HttpResponse<byte[]> response = server().get(base + query);
            assertThat(response.statusCode()).as(query).isEqualTo(400);
            assertJson(response);
            assertThat(response.body()).as(query).isEqualTo(ContractFixtures.goldenBytes(ContractFixtures.BAD_ROUNDS));
        }
    }

    @Test
    void badQuoteIdMatchesGoldenBadRequestAndIsCheckedBeforeRounds() {
        for (String path : new String[] { "/quotes/abc?rounds=10", "/quotes/0?rounds=10", "/quotes/abc" }) {
            HttpResponse<byte[]> response = server().get(path);
            assertThat(response.statusCode()).as(path).isEqualTo(400);
            assertJson(response);
            assertThat(response.body()).as(path).isEqualTo(ContractFixtures.goldenBytes(ContractFixtures.BAD_REQUEST));
        }
    }

    @Test
    void legacyCustomerMatchesGoldenDocument() {
        HttpResponse<byte[]> response = server().get("/legacy/customers/" + ContractFixtures.FIXTURE_CUSTOMER_ID);
        assertThat(response.statusCode()).isEqualTo(200);
        assertJson(response);
        assertThat(response.body()).isEqualTo(ContractFixtures.goldenBytes(ContractFixtures.LEGACY_CUSTOMER));
    }

    @Test
    void badLegacyCustomerIdMatchesGoldenBadCustomerId() {
        for (String id : new String[] { "abc", "0", "-1", "9223372036854775808" }) {
            HttpResponse<byte[]> response = server().get("/legacy/customers/" + id);
            assertThat(response.statusCode()).as(id).isEqualTo(400);
            assertJson(response);
            assertThat(response.body()).as(id)
                .isEqualTo(ContractFixtures.goldenBytes(ContractFixtures.BAD_CUSTOMER_ID));
        }
    }

    @Test
    void healthIsUp() {
        HttpResponse<byte[]> response = server().get("/actuator/health");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(utf8(response)).contains("\"status\":\"UP\"");
    }

    @Test
    void createdOrderMatchesGoldenTemplateAndItsOutboxRowTheWireEvent() {
        HttpResponse<byte[]> response = server().post("/orders", ContractFixtures.NEW_ORDER_BODY);
        assertThat(response.statusCode()).isEqualTo(201);
        assertJson(response);
        String location = response.headers().firstValue("Location").orElseThrow();
        assertThat(location).matches("/orders/\\d+");
        long id = Long.parseLong(location.substring("/orders/".length()));

        EventTables tables = new EventTables(this.jdbc);
        Instant createdAt = tables.orderCreatedAt(id);
        List<EventTables.OutboxRow> outbox = tables.outbox(id);
        assertThat(outbox).hasSize(1);
        EventTables.OutboxRow event = outbox.get(0);
        assertThat(utf8(response)).isEqualTo(
                ContractFixtures.createdOrder(ContractFixtures.CREATED_ORDER, id, createdAt, event.eventId()));
        assertThat(event.payload()).isEqualTo(
                ContractFixtures.createdOrder(ContractFixtures.ORDER_CREATED_EVENT, id, createdAt, event.eventId()));
        // No broker here: the event waits in the outbox.
        assertThat(event.published()).isFalse();

        HttpResponse<byte[]> stored = server().get(location);
        assertThat(stored.statusCode()).isEqualTo(200);
        assertThat(utf8(stored)).startsWith("{\"id\":" + id + ",\"customerId\":900000001,\"productId\":342,"
                + "\"quantity\":3,\"totalCents\":8562,\"status\":\"CREATED\",\"createdAt\":\"" + createdAt + "\",");
    }

    @Test
    void invalidNewOrdersMatchGoldenBadRequestsAndWriteNothing() {
        EventTables tables = new EventTables(this.jdbc);
        String before = tables.writeFootprint();
        for (Map.Entry<String, String> invalid : ContractFixtures.INVALID_NEW_ORDERS.entrySet()) {
            HttpResponse<byte[]> response = server().post("/orders", invalid.getKey());
            assertThat(response.statusCode()).as(invalid.getKey()).isEqualTo(400);
            assertJson(response);
            assertThat(utf8(response)).as(invalid.getKey()).isEqualTo(ContractFixtures.golden(invalid.getValue()));
        }
        assertThat(tables.writeFootprint()).isEqualTo(before);
    }

    /** ORDERS_BROKER defaults to none: no broker client, relay, consumer, scheduler or event meter; info says so. */
    @Test
    void noBrokerMeansNoBrokerClientAtAll() {
        for (String type : new String[] { "org.springframework.kafka.core.ProducerFactory",
                "org.springframework.kafka.core.ConsumerFactory", "org.springframework.kafka.core.KafkaAdmin",
                "org.springframework.kafka.config.KafkaListenerEndpointRegistry",
                "org.springframework.amqp.rabbit.connection.ConnectionFactory",
                "org.springframework.amqp.rabbit.core.RabbitTemplate",
                "org.springframework.amqp.rabbit.listener.RabbitListenerEndpointRegistry",
                "org.springframework.scheduling.TaskScheduler" }) {
            assertThat(this.context.getBeanNamesForType(classFor(type))).as(type).isEmpty();
        }
        assertThat(this.context.getBeanNamesForType(OutboxRelay.class)).isEmpty();
        assertThat(this.context.getBeanNamesForType(OutboxPublisher.class)).isEmpty();
        assertThat(this.context.getBeanNamesForType(OrderEventProcessor.class)).isEmpty();
        assertThat(utf8(server().get("/actuator/prometheus"))).doesNotContain("orders_consumer", "orders_relay");
        assertThat(utf8(server().get("/actuator/info"))).contains("\"messaging\":{\"broker\":\"none\",");
    }

    private static Class<?> classFor(String name) {
        try {
            return Class.forName(name);
        }
        catch (ClassNotFoundException ex) {
            throw new IllegalStateException(ex);
        }
    }

    protected static String utf8(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    private static void assertJson(HttpResponse<byte[]> response) {
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    }
}
