package dev.loombench.orders.webflux.messaging.kafka;

import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.loombench.orders.domain.event.KafkaProducerSettings;
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
                EventFlowContract.BACKOFF, EventFlowContract.ORDERING })
@DirtiesContext
class KafkaEventFlowTests extends EventFlowContract {

    @DynamicPropertySource
    static void infrastructure(DynamicPropertyRegistry registry) {
        TestInfrastructure.register(registry);
        TestBrokers.kafka(registry, "kafka-flow");
    }

    @Autowired
    private ProducerFactory<?, ?> producers;

    /** The producer the relay sends through runs with the shared set, whatever spring.kafka.producer.* says. */
    @Test
    void relayProducerRunsWithTheSharedSettings() {
        assertThat(KafkaProducerSettings.effective(this.producers.getConfigurationProperties()))
            .isEqualTo(KafkaProducerSettings.PROPERTIES);
    }

    @Autowired
    private ConsumerFactory<?, ?> consumers;

    @Autowired
    private KafkaListenerEndpointRegistry registry;

    @Value("${spring.kafka.consumer.group-id}")
    private String groupId;

    /**
     * Every variant polls up to 500 records and commits a poll's offsets together; the poll size is not derived from
     * the in-flight limit (here 16 over 2 listener threads), which at in flight = threads made it 1 in order-webflux:
     * a commit per event.
     */
    @Test
    void everyVariantPollsTheSameNumberOfRecords() {
        assertThat(this.consumers.getConfigurationProperties().get(ConsumerConfig.MAX_POLL_RECORDS_CONFIG))
            .hasToString("500");
    }

    /** A poll waits at most 100 ms, so acknowledgements made on other threads are committed within that. */
    @Test
    void everyVariantCommitsAcknowledgedOffsetsWithinAPollWait() {
        assertThat(this.registry.getListenerContainer(KafkaOrderEventListener.CONSUMER_ID)
            .getContainerProperties()
            .getPollTimeout()).isEqualTo(100L);
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
        // design.md's one producer set, spelled out: both apps' Kafka tests expect exactly this.
        Map<String, Object> producer = new LinkedHashMap<>();
        messaging.path("kafkaProducer").properties().forEach((entry) -> producer.put(entry.getKey(),
                entry.getValue().isString() ? entry.getValue().asString()
                        : entry.getValue().isBoolean() ? (Object) entry.getValue().asBoolean()
                                : (Object) entry.getValue().asInt()));
        assertThat(producer).containsExactly(Map.entry("acks", "all"), Map.entry("enable.idempotence", true),
                Map.entry("max.block.ms", 5000), Map.entry("request.timeout.ms", 5000),
                Map.entry("delivery.timeout.ms", 10000), Map.entry("linger.ms", 5), Map.entry("batch.size", 16384));
        // What the container runs for a Mono listener, stated in application.properties and read back from it: per-poll
        // commits of out-of-order acks (order-mvc: BATCH), the same poll size and poll wait as order-mvc.
        Map<String, Object> consumer = new LinkedHashMap<>();
        messaging.path("kafkaConsumer").properties().forEach((entry) -> consumer.put(entry.getKey(),
                entry.getValue().isString() ? entry.getValue().asString()
                        : entry.getValue().isBoolean() ? (Object) entry.getValue().asBoolean()
                                : (Object) entry.getValue().asLong()));
        assertThat(consumer).containsExactly(Map.entry("group.id", this.groupId), Map.entry("max.poll.records", 500L),
                Map.entry("enable.auto.commit", false), Map.entry("ackMode", "MANUAL"), Map.entry("asyncAcks", true),
                Map.entry("pollTimeoutMs", 100L));
    }

    /** Kafka client metrics (consumer lag) and spring-kafka's listener timer. */
    @Override
    protected void assertBrokerMetrics(String prometheus) {
        assertThat(prometheus).contains("kafka_consumer_fetch_manager_records_lag")
            .contains("spring_kafka_listener_seconds_count");
    }
}
