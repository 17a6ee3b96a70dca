package dev.loombench.orders.mvc.messaging.rabbit;

import org.junit.jupiter.api.BeforeAll;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.context.annotation.Import;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.loombench.orders.domain.testing.TestEnvironment;
import dev.loombench.orders.mvc.messaging.EventFlowContract;
import dev.loombench.orders.mvc.testsupport.ThreadProbes;

/** Against the RabbitMQ of {@code harness infra exec --rabbitmq}. Dirties its context: its relay must not outlive it. */
@SpringBootTest(webEnvironment = WebEnvironment.RANDOM_PORT)
@Import(ThreadProbes.class)
@DirtiesContext
class RabbitEventFlowTests extends EventFlowContract {

    private static final String NAME = unique(RabbitEventFlowTests.class);

    @BeforeAll
    static void requireRabbit() {
        TestEnvironment.require("ORDERS_RABBIT_PORT");
    }

    @DynamicPropertySource
    static void rabbit(DynamicPropertyRegistry registry) {
        commonProperties(registry, "rabbitmq");
        registry.add("orders.rabbit.exchange", () -> "order.exchange." + NAME);
        registry.add("orders.rabbit.queue", () -> "order.created." + NAME);
        registry.add("orders.rabbit.dead-letter-exchange", () -> "order.dlx." + NAME);
        registry.add("orders.rabbit.dead-letter-queue", () -> "order.created.dlq." + NAME);
        registry.add("ORDERS_RABBIT_LISTENER_CONCURRENCY", () -> "3");
        registry.add("ORDERS_RABBIT_PREFETCH", () -> "7");
    }

    @Override
    protected String broker() {
        return "rabbitmq";
    }

    /** A rejected message carries no exception; its x-death entry names the queue that rejected it. */
    @Override
    protected String poisonReason() {
        return "rejected by queue order.created.";
    }

    @Override
    protected String transientFailureReason() {
        return "rejected by queue order.created.";
    }

    @Override
    protected String[] expectedMessagingInfo() {
        return new String[] { "\"messaging\":{\"broker\":\"rabbitmq\",\"listenerConcurrency\":3,\"prefetch\":7,",
                "\"relayBatchSize\":50,\"relayPollIntervalMs\":25,\"relayAckTimeoutMs\":15000,\"relayDbPool\":2,"
                        + "\"consumerDelayMs\":0,"
                        + "\"maxAttempts\":3,"
                        + "\"backoffMs\":20,\"ordering\":\"per-key\"}" };
    }

    @Override
    protected String[] expectedMetrics() {
        return new String[] { "rabbitmq_acknowledged_total", "spring_rabbitmq_listener_seconds_count" };
    }
}
