package dev.loombench.orders.webflux.messaging.kafka;

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
 * The event flow through the real Kafka of {@code harness infra exec --kafka}. The context is closed after the
 * class so its relay stops claiming outbox rows other classes wait for.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "ORDERS_BROKER=kafka", "ORDERS_KAFKA_PARTITIONS=3", "ORDERS_KAFKA_LISTENER_CONCURRENCY=2",
                EventFlowContract.MAX_IN_FLIGHT, EventFlowContract.RELAY_BATCH_SIZE,
                EventFlowContract.RELAY_POLL_INTERVAL, EventFlowContract.CONSUMER_DELAY, EventFlowContract.MAX_ATTEMPTS,
                EventFlowContract.BACKOFF })
@DirtiesContext
class KafkaEventFlowTests extends EventFlowContract {

    @DynamicPropertySource
    static void infrastructure(DynamicPropertyRegistry registry) {
        TestInfrastructure.register(registry);
        TestBrokers.kafka(registry, "kafka-flow");
    }

    @Override
    protected String broker() {
        return "kafka";
    }

    @Override
    protected void assertBrokerSettings(JsonNode messaging) {
        assertThat(messaging.path("partitions").asInt()).isEqualTo(3);
        assertThat(messaging.path("listenerConcurrency").asInt()).isEqualTo(2);
        assertThat(messaging.has("prefetch")).isFalse();
    }

    /** Kafka client metrics (consumer lag) and spring-kafka's listener timer. */
    @Override
    protected void assertBrokerMetrics(String prometheus) {
        assertThat(prometheus).contains("kafka_consumer_fetch_manager_records_lag")
            .contains("spring_kafka_listener_seconds_count");
    }
}
