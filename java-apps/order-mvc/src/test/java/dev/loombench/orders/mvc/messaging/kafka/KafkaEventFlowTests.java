package dev.loombench.orders.mvc.messaging.kafka;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.context.annotation.Import;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.kafka.listener.ContainerProperties.AckMode;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.loombench.orders.domain.event.KafkaProducerSettings;
import dev.loombench.orders.domain.testing.TestEnvironment;
import dev.loombench.orders.mvc.messaging.EventFlowContract;
import dev.loombench.orders.mvc.testsupport.ThreadProbes;

import static org.assertj.core.api.Assertions.assertThat;

/** Against the Kafka of {@code harness infra exec --kafka}. Dirties its context: its relay must not outlive it. */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@Import(ThreadProbes.class)
@DirtiesContext
class KafkaEventFlowTests extends EventFlowContract {

    private static final String NAME = unique(KafkaEventFlowTests.class);

    @BeforeAll
    static void requireKafka() {
        TestEnvironment.require("ORDERS_KAFKA_BOOTSTRAP");
    }

    @DynamicPropertySource
    static void kafka(DynamicPropertyRegistry registry) {
        commonProperties(registry, "kafka");
        registry.add("orders.kafka.topic", () -> "order-events." + NAME);
        registry.add("ORDERS_KAFKA_GROUP_ID", () -> "order-consumer." + NAME);
        registry.add("ORDERS_KAFKA_PARTITIONS", () -> "3");
        registry.add("ORDERS_KAFKA_LISTENER_CONCURRENCY", () -> "2");
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

    @Autowired
    private KafkaListenerEndpointRegistry listeners;

    /**
     * A poll's offsets are committed once, after every record of it was processed (one broker round trip per poll,
     * not per event); the redelivery test above shows the inbox turning away what a crash would send again.
     */
    @Test
    void offsetsAreCommittedPerPollAfterProcessing() {
        assertThat(this.listeners.getListenerContainer(KafkaOrderEventListener.CONSUMER_ID)
            .getContainerProperties()
            .getAckMode()).isEqualTo(AckMode.BATCH);
    }

    @Override
    protected String broker() {
        return "kafka";
    }

    @Override
    protected String poisonReason() {
        return "PoisonMessageException: ";
    }

    @Override
    protected String transientFailureReason() {
        return "DownstreamFailedException: inventory service failed";
    }

    @Override
    protected String[] expectedMessagingInfo() {
        return new String[] { "\"messaging\":{\"broker\":\"kafka\",\"partitions\":3,\"listenerConcurrency\":2,",
                "\"relayBatchSize\":50,\"relayPollIntervalMs\":25,\"relayAckTimeoutMs\":15000,\"relayDbPool\":2,"
                        + "\"consumerDelayMs\":0,"
                        + "\"maxAttempts\":3,"
                        + "\"backoffMs\":20,\"ordering\":\"per-key\",",
                // design.md's one producer set, spelled out: both apps' Kafka tests expect exactly this.
                "\"kafkaProducer\":{\"acks\":\"all\",\"enable.idempotence\":true,\"max.block.ms\":5000,"
                        + "\"request.timeout.ms\":5000,\"delivery.timeout.ms\":10000,\"linger.ms\":5,"
                        + "\"batch.size\":16384},\"kafkaConsumer\":{\"group.id\":\"",
                // A poll's offsets committed together once its records are done, a poll waiting at most 100 ms.
                "\",\"max.poll.records\":500,\"enable.auto.commit\":false,\"ackMode\":\"BATCH\","
                        + "\"asyncAcks\":false,\"pollTimeoutMs\":100}}" };
    }

    @Override
    protected String[] expectedMetrics() {
        return new String[] { "kafka_consumer_fetch_manager_records_lag", "spring_kafka_listener_seconds_count",
                "spring_kafka_template_seconds_count" };
    }
}
