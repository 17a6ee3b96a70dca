package dev.loombench.orders.webflux.messaging;

import java.util.UUID;

import org.springframework.test.context.DynamicPropertyRegistry;

import dev.loombench.orders.domain.testing.TestEnvironment;

/**
 * Points the app at the real Kafka or RabbitMQ of {@code harness infra exec --kafka --rabbitmq}, with topic, group,
 * exchange and queue names of its own: test classes (and order-mvc's tests) share one broker, and a name used once
 * never carries messages from an earlier class or run. A missing variable fails the context with a clear message.
 * <p>
 * {@code ORDERS_BROKER} itself must be set in {@code @SpringBootTest(properties = ...)}: it selects the profile, and
 * dynamic properties arrive only after the profiles are resolved.
 */
public final class TestBrokers {

    private TestBrokers() {
    }

    public static void kafka(DynamicPropertyRegistry registry, String name) {
        String unique = unique(name);
        registry.add("spring.kafka.bootstrap-servers", () -> TestEnvironment.require("ORDERS_KAFKA_BOOTSTRAP"));
        registry.add("orders.messaging.kafka.topic", () -> unique);
        registry.add("spring.kafka.consumer.group-id", () -> unique);
    }

    public static void rabbitmq(DynamicPropertyRegistry registry, String name) {
        String unique = unique(name);
        registry.add("spring.rabbitmq.host", () -> TestEnvironment.require("ORDERS_RABBIT_HOST"));
        registry.add("spring.rabbitmq.port", () -> TestEnvironment.require("ORDERS_RABBIT_PORT"));
        registry.add("spring.rabbitmq.username", () -> TestEnvironment.require("ORDERS_RABBIT_USER"));
        registry.add("spring.rabbitmq.password", () -> TestEnvironment.require("ORDERS_RABBIT_PASSWORD"));
        registry.add("orders.messaging.rabbit.exchange", () -> unique + ".exchange");
        registry.add("orders.messaging.rabbit.routing-key", () -> unique);
        registry.add("orders.messaging.rabbit.queue", () -> unique);
        registry.add("orders.messaging.rabbit.dead-letter-exchange", () -> unique + ".dlx");
        registry.add("orders.messaging.rabbit.dead-letter-routing-key", () -> unique + ".dlq");
        registry.add("orders.messaging.rabbit.dead-letter-queue", () -> unique + ".dlq");
    }

    private static String unique(String name) {
        return "jwf-" + name + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
