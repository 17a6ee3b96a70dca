package dev.loombench.orders.webflux.messaging.relay;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import io.micrometer.core.instrument.MeterRegistry;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.loombench.orders.domain.event.OrderCreated;
import dev.loombench.orders.domain.event.OrderEventCodec;
import dev.loombench.orders.domain.testing.ClosedPort;
import dev.loombench.orders.domain.testing.TestHttp;
import dev.loombench.orders.webflux.TestInfrastructure;
import dev.loombench.orders.webflux.messaging.TestEvents;
import dev.loombench.orders.webflux.messaging.TestEvents.OutboxEntry;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A broker nobody listens on: the app still starts and stays UP, every relay round rolls back, the event waits in
 * the outbox unpublished, and the outage is logged once, not once per round.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = { "ORDERS_BROKER=rabbitmq", "ORDERS_RELAY_POLL_INTERVAL_MS=20" })
@DirtiesContext
@ExtendWith(OutputCaptureExtension.class)
class RelayBrokerDownTests {

    private static final String OUTAGE_WARNING = "Outbox relay failed";

    @LocalServerPort
    int port;

    @Autowired
    DatabaseClient database;

    @Autowired
    MeterRegistry meters;

    @DynamicPropertySource
    static void unreachableBroker(DynamicPropertyRegistry registry) {
        TestInfrastructure.register(registry);
        int closedPort = ClosedPort.find();
        registry.add("spring.rabbitmq.host", () -> "127.0.0.1");
        registry.add("spring.rabbitmq.port", () -> closedPort);
    }

    @Test
    void eventWaitsInTheOutboxAndTheOutageIsLoggedOnce(CapturedOutput output) {
        TestEvents events = new TestEvents(this.database);
        UUID eventId = UUID.randomUUID();
        long orderId = ThreadLocalRandom.current().nextLong(1L << 40, 1L << 50);
        events.insertOutbox(eventId, orderId, OrderEventCodec.toJson(new OrderCreated(eventId, orderId, 1, 1, 1, 100,
                Instant.parse("2026-01-01T00:00:00Z"))));
        double failuresBefore = this.meters.counter("orders.relay.failures").count();

        Awaitility.await()
            .atMost(Duration.ofSeconds(60))
            .until(() -> this.meters.counter("orders.relay.failures").count() >= failuresBefore + 3);

        assertThat(events.outbox(orderId)).extracting(OutboxEntry::published).containsExactly(false);
        // Distinct lines: nested captures (class and method) may each hold the same line.
        assertThat(output.getAll().lines().filter((line) -> line.contains(OUTAGE_WARNING)).distinct())
            .as("one WARN per outage, not one per round")
            .hasSize(1);
        HttpResponse<byte[]> health = new TestHttp(this.port).get("/actuator/health");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(new String(health.body())).contains("\"status\":\"UP\"");
    }
}
