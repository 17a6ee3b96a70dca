package dev.loombench.orders.webflux.messaging.rabbit;

import tools.jackson.databind.JsonNode;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.loombench.orders.webflux.TestInfrastructure;
import dev.loombench.orders.webflux.messaging.EventFlowContract;
import dev.loombench.orders.webflux.messaging.TestBrokers;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The event flow through the real RabbitMQ of {@code harness infra exec --rabbitmq}. The context is closed after the
 * class so its relay stops claiming outbox rows other classes wait for.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "ORDERS_BROKER=rabbitmq", "ORDERS_RABBIT_LISTENER_CONCURRENCY=2", "ORDERS_RABBIT_PREFETCH=7",
                EventFlowContract.MAX_IN_FLIGHT, EventFlowContract.RELAY_BATCH_SIZE,
                EventFlowContract.RELAY_POLL_INTERVAL, EventFlowContract.CONSUMER_DELAY, EventFlowContract.MAX_ATTEMPTS,
                EventFlowContract.BACKOFF, EventFlowContract.ORDERING })
@DirtiesContext
class RabbitEventFlowTests extends EventFlowContract {

    @DynamicPropertySource
    static void infrastructure(DynamicPropertyRegistry registry) {
        TestInfrastructure.register(registry);
        TestBrokers.rabbitmq(registry, "rabbit-flow");
    }

    @Override
    protected String broker() {
        return "rabbitmq";
    }

    @Override
    protected void assertBrokerSettings(JsonNode messaging) {
        assertThat(messaging.has("partitions")).isFalse();
        assertThat(messaging.has("kafkaProducer")).isFalse();
        assertThat(messaging.has("kafkaConsumer")).isFalse();
        assertThat(messaging.path("listenerConcurrency").asInt()).isEqualTo(2);
        assertThat(messaging.path("prefetch").asInt()).isEqualTo(7);
    }

    /** Spring AMQP's listener timer and Boot's RabbitMQ client metrics. */
    @Override
    protected void assertBrokerMetrics(String prometheus) {
        assertThat(prometheus).contains("spring_rabbitmq_listener_seconds_count").contains("rabbitmq_published_total");
    }
}
