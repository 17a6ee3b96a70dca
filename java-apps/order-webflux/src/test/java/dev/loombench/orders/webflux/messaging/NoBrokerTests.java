package dev.loombench.orders.webflux.messaging;

import java.net.http.HttpResponse;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.loombench.orders.domain.testing.ContractFixtures;
import dev.loombench.orders.domain.testing.TestHttp;
import dev.loombench.orders.webflux.TestInfrastructure;
import dev.loombench.orders.webflux.messaging.relay.OutboxRelay;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code ORDERS_BROKER=none} (the default): no broker is auto-configured, so no Kafka or RabbitMQ client, connection,
 * listener or relay exists, health is UP although no broker runs here, and POST /orders still works.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class NoBrokerTests {

    /** Client classes of both brokers; none may be a bean. */
    private static final String[] BROKER_CLIENT_TYPES = { "org.springframework.kafka.core.KafkaTemplate",
            "org.springframework.kafka.core.ProducerFactory", "org.springframework.kafka.core.ConsumerFactory",
            "org.springframework.kafka.core.KafkaAdmin",
            "org.springframework.kafka.config.KafkaListenerEndpointRegistry",
            "org.springframework.amqp.rabbit.connection.ConnectionFactory",
            "org.springframework.amqp.rabbit.core.RabbitTemplate",
            "org.springframework.amqp.rabbit.listener.RabbitListenerEndpointRegistry" };

    @LocalServerPort
    int port;

    @Autowired
    ApplicationContext context;

    @DynamicPropertySource
    static void infrastructure(DynamicPropertyRegistry registry) {
        TestInfrastructure.register(registry);
    }

    @Test
    void noBrokerClientListenerOrRelayExists() throws ClassNotFoundException {
        for (String type : BROKER_CLIENT_TYPES) {
            assertThat(this.context.getBeanNamesForType(Class.forName(type))).as(type).isEmpty();
        }
        assertThat(this.context.getBeanNamesForType(OutboxRelay.class)).isEmpty();
        assertThat(this.context.getBeanNamesForType(BrokerSettings.class)).isEmpty();
    }

    @Test
    void healthIsUpAndOrdersAreStillTaken() {
        TestHttp http = new TestHttp(this.port);
        TestInfrastructure.insertFixtures(this.context.getBean(DatabaseClient.class));

        HttpResponse<byte[]> health = http.get("/actuator/health");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(new String(health.body())).contains("\"status\":\"UP\"");
        assertThat(http.post("/orders", ContractFixtures.NEW_ORDER_BODY).statusCode()).isEqualTo(201);
    }

    @Test
    void infoReportsBrokerNoneWithTheConfiguredRelayAndConsumerSettings() {
        HttpResponse<byte[]> response = new TestHttp(this.port).get("/actuator/info");
        JsonNode messaging = JsonMapper.builder().build().readTree(response.body()).path("runtime").path("messaging");

        assertThat(messaging.path("broker").asString()).isEqualTo("none");
        assertThat(messaging.has("partitions")).isFalse();
        assertThat(messaging.has("listenerConcurrency")).isFalse();
        assertThat(messaging.has("prefetch")).isFalse();
        assertThat(messaging.path("maxInFlight").asInt()).isEqualTo(256);
        assertThat(messaging.path("relayBatchSize").asInt()).isEqualTo(200);
        assertThat(messaging.path("relayPollIntervalMs").asLong()).isEqualTo(50);
        assertThat(messaging.path("relayDbPool").asInt()).isEqualTo(2);
        assertThat(messaging.path("consumerDelayMs").asLong()).isEqualTo(20);
        assertThat(messaging.path("maxAttempts").asInt()).isEqualTo(3);
        assertThat(messaging.path("backoffMs").asLong()).isEqualTo(100);
        assertThat(messaging.path("ordering").asString()).isEqualTo("none");
    }
}
