package dev.loombench.orders.webflux.messaging.rabbit;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.loombench.orders.domain.event.OrderCreated;
import dev.loombench.orders.domain.event.OrderEventCodec;
import dev.loombench.orders.domain.testing.CountingInventory;
import dev.loombench.orders.webflux.TestInfrastructure;
import dev.loombench.orders.webflux.messaging.TestBrokers;
import dev.loombench.orders.webflux.messaging.TestEvents;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * ORDERS_CONSUMER_MAX_IN_FLIGHT is the app's bound even where the broker would deliver more: 2 consumers × prefetch
 * 10 let up to 20 unacknowledged messages reach the app, yet the inventory service (the consumer's I/O) never sees
 * more than 3 calls at once, and does see 3, so the events do run concurrently. RabbitMQ, because there nothing but
 * the limiter bounds it (on Kafka too: a container's poll of up to 500 records waits on the same limiter).
 */
@SpringBootTest(properties = { "ORDERS_BROKER=rabbitmq", "ORDERS_RABBIT_LISTENER_CONCURRENCY=2",
        "ORDERS_RABBIT_PREFETCH=10", "ORDERS_CONSUMER_MAX_IN_FLIGHT=3", "ORDERS_CONSUMER_DELAY_MS=300" })
@DirtiesContext
class RabbitBackpressureTests {

    private static final int EVENTS = 12;

    private static final CountingInventory inventory = CountingInventory.start();

    @Autowired
    DatabaseClient database;

    @DynamicPropertySource
    static void infrastructure(DynamicPropertyRegistry registry) {
        TestInfrastructure.registerDatabase(registry);
        registry.add("orders.downstream.url", inventory::baseUrl);
        TestBrokers.rabbitmq(registry, "rabbit-backpressure");
    }

    @AfterAll
    static void stopInventory() {
        inventory.close();
    }

    @Test
    void neverMoreEventsInFlightThanTheLimit() {
        TestEvents events = new TestEvents(this.database);
        List<UUID> eventIds = new ArrayList<>();
        for (int i = 0; i < EVENTS; i++) {
            UUID eventId = UUID.randomUUID();
            long orderId = ThreadLocalRandom.current().nextLong(1L << 40, 1L << 50);
            events.insertOutbox(eventId, orderId, OrderEventCodec.toJson(new OrderCreated(eventId, orderId, 1, 1 + i,
                    1, 100, Instant.parse("2026-01-01T00:00:00Z"))));
            eventIds.add(eventId);
        }

        Awaitility.await()
            .atMost(Duration.ofSeconds(120))
            .pollInterval(Duration.ofMillis(200))
            .until(() -> eventIds.stream().allMatch((id) -> events.inbox(id).isPresent()));

        assertThat(inventory.calls()).isGreaterThanOrEqualTo(EVENTS);
        assertThat(inventory.maxConcurrentCalls()).isEqualTo(3);
    }
}
