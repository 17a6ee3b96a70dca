package dev.loombench.orders.webflux.messaging;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.r2dbc.core.DatabaseClient;

import dev.loombench.orders.domain.event.EventMeters;
import dev.loombench.orders.domain.event.OrderCreated;
import dev.loombench.orders.domain.event.OrderEventCodec;
import dev.loombench.orders.domain.testing.ContractFixtures;
import dev.loombench.orders.domain.testing.TestHttp;
import dev.loombench.orders.webflux.TestInfrastructure;
import dev.loombench.orders.webflux.messaging.TestEvents.DeadLetter;
import dev.loombench.orders.webflux.messaging.TestEvents.InboxEntry;
import dev.loombench.orders.webflux.messaging.TestEvents.OutboxEntry;
import dev.loombench.orders.webflux.messaging.TestEvents.ProjectionEntry;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Outbox → real broker → consumer → inbox and projection, the same for both brokers; each subclass runs it
 * against its broker with names of its own. Every assertion is about this test's own event ids, order ids or payloads.
 * Nothing here asserts a duration: waiting ends as soon as the expected rows exist.
 */
public abstract class EventFlowContract {

    /** Settings distinct from every default, so /actuator/info shows they reached the live beans. */
    public static final String MAX_IN_FLIGHT = "ORDERS_CONSUMER_MAX_IN_FLIGHT=16";

    public static final String RELAY_BATCH_SIZE = "ORDERS_RELAY_BATCH_SIZE=50";

    public static final String RELAY_POLL_INTERVAL = "ORDERS_RELAY_POLL_INTERVAL_MS=40";

    public static final String CONSUMER_DELAY = "ORDERS_CONSUMER_DELAY_MS=5";

    public static final String MAX_ATTEMPTS = "ORDERS_CONSUMER_MAX_ATTEMPTS=2";

    public static final String BACKOFF = "ORDERS_CONSUMER_BACKOFF_MS=30";

    /** Not the default: the flow runs through PerKeyOrder, and info shows it reached the live beans. */
    public static final String ORDERING = "ORDERS_CONSUMER_ORDERING=per-key";

    /** Stock the real inventory service reports for the product of ContractFixtures.NEW_ORDER_BODY (342). */
    private static final int STOCK_OF_PRODUCT_342 = (int) ((342L * 7919) % 100);

    @LocalServerPort
    protected int port;

    @Autowired
    protected DatabaseClient database;

    @Autowired
    protected MeterRegistry meters;

    protected TestHttp http;

    protected TestEvents events;

    /** "kafka" or "rabbitmq", as inbox.broker and dead_letters.broker hold it. */
    protected abstract String broker();

    @BeforeEach
    void setUp() {
        TestInfrastructure.insertFixtures(this.database);
        this.http = new TestHttp(this.port);
        this.events = new TestEvents(this.database);
    }

    @Test
    void postedOrderIsRelayedConsumedAndProjectedOnce() {
        long orderId = postOrder();
        UUID eventId = this.events.outbox(orderId).get(0).eventId();

        eventually().untilAsserted(() -> assertThat(this.events.inbox(eventId)).hasValue(new InboxEntry(broker(), 0)));
        assertThat(this.events.outbox(orderId)).extracting(OutboxEntry::published).containsExactly(true);
        ProjectionEntry projection = this.events.projection(orderId).orElseThrow();
        assertThat(projection).isEqualTo(new ProjectionEntry(eventId, ContractFixtures.FIXTURE_CUSTOMER_ID, 8562,
                STOCK_OF_PRODUCT_342, 1));
    }

    @Test
    void sameEventTwiceChangesTheProjectionOnce() {
        long orderId = postOrder();
        OutboxEntry original = this.events.outbox(orderId).get(0);
        eventually().untilAsserted(() -> assertThat(this.events.inbox(original.eventId())).isPresent());

        this.events.insertOutbox(original.eventId(), orderId, original.payload());

        eventually().untilAsserted(
                () -> assertThat(this.events.inbox(original.eventId())).hasValue(new InboxEntry(broker(), 1)));
        assertThat(this.events.outbox(orderId)).extracting(OutboxEntry::published).containsExactly(true, true);
        assertThat(this.events.projection(orderId)).get().extracting(ProjectionEntry::applied).isEqualTo(1);
    }

    @Test
    void poisonPayloadIsDeadLetteredUnchanged() {
        String poison = "POISON jwf " + UUID.randomUUID();
        this.events.insertOutbox(UUID.randomUUID(), 1, poison);

        eventually().untilAsserted(() -> assertThat(this.events.deadLetters(poison)).containsExactly(
                new DeadLetter(broker(), null, "poison: payload is not JSON", poison)));
    }

    /** Product 0 makes the real inventory service answer 400: a well-formed event failing on every attempt. */
    @Test
    void eventFailingEveryAttemptIsDeadLetteredWithItsId() {
        UUID eventId = UUID.randomUUID();
        String payload = OrderEventCodec.toJson(new OrderCreated(eventId, 900000777L,
                ContractFixtures.FIXTURE_CUSTOMER_ID, 0, 1, 100, Instant.parse("2026-01-01T00:00:00Z")));
        long failedBefore = consumerAttempts(EventMeters.FAILED);
        this.events.insertOutbox(eventId, 900000777L, payload);

        eventually().untilAsserted(() -> assertThat(this.events.deadLetters(payload))
            .containsExactly(new DeadLetter(broker(), eventId.toString(), "failed after 2 attempts", payload)));
        assertThat(this.events.inbox(eventId)).isEmpty();
        // The consumer timer counts attempts, as order-mvc's does (other tests' failures may add to it).
        assertThat(consumerAttempts(EventMeters.FAILED) - failedBefore).isGreaterThanOrEqualTo(2);
    }

    @Test
    void infoReportsTheEffectiveMessagingSettings() {
        JsonNode messaging = info().path("messaging");

        assertThat(messaging.path("broker").asString()).isEqualTo(broker());
        assertThat(messaging.path("maxInFlight").asInt()).isEqualTo(16);
        assertThat(messaging.path("relayBatchSize").asInt()).isEqualTo(50);
        assertThat(messaging.path("relayPollIntervalMs").asLong()).isEqualTo(40);
        // order-domain's RelaySettings.ACK_TIMEOUT, the same in every variant (order-mvc's tests expect it too).
        assertThat(messaging.path("relayAckTimeoutMs").asLong()).isEqualTo(15000);
        // ORDERS_RELAY_DB_POOL's default: the live own pool's size.
        assertThat(messaging.path("relayDbPool").asInt()).isEqualTo(2);
        assertThat(messaging.path("consumerDelayMs").asLong()).isEqualTo(5);
        assertThat(messaging.path("maxAttempts").asInt()).isEqualTo(2);
        assertThat(messaging.path("backoffMs").asLong()).isEqualTo(30);
        assertThat(messaging.path("ordering").asString()).isEqualTo("per-key");
        assertBrokerSettings(messaging);
    }

    /** The consumer's own timer covers each message to its end; the broker's metrics are the subclass's. */
    @Test
    void prometheusShowsTheConsumerMetrics() {
        long orderId = postOrder();
        UUID eventId = this.events.outbox(orderId).get(0).eventId();
        eventually().untilAsserted(() -> assertThat(this.events.inbox(eventId)).isPresent());

        String prometheus = new String(this.http.get("/actuator/prometheus").body());
        assertThat(prometheus)
            .contains("orders_consumer_events_seconds_count{broker=\"" + broker() + "\",outcome=\"processed\"}")
            .contains("orders_consumer_in_flight");
        assertBrokerMetrics(prometheus);
    }

    /** The same meter names and tag keys as order-mvc (EventMeters), and they count what happened. */
    @Test
    void eventMetersAreTheSharedSetAndCountTheConsumedEvent() {
        long processedBefore = consumerAttempts(EventMeters.PROCESSED);
        long orderId = postOrder();
        UUID eventId = this.events.outbox(orderId).get(0).eventId();
        eventually().untilAsserted(() -> assertThat(this.events.inbox(eventId)).isPresent());

        Map<String, Set<String>> tagKeys = this.meters.getMeters()
            .stream()
            .filter((meter) -> meter.getId().getName().startsWith("orders."))
            .collect(Collectors.groupingBy((meter) -> meter.getId().getName(), Collectors.flatMapping(
                    (Meter meter) -> meter.getId().getTags().stream().map(Tag::getKey), Collectors.toSet())));
        assertThat(tagKeys).isEqualTo(EventMeters.TAG_KEYS.entrySet()
            .stream()
            .collect(Collectors.toMap(Map.Entry::getKey, (entry) -> Set.copyOf(entry.getValue()))));
        assertThat(consumerAttempts(EventMeters.PROCESSED) - processedBefore).isGreaterThanOrEqualTo(1);
        assertThat(this.meters.get(EventMeters.RELAY_PUBLISHED).counter().count()).isGreaterThanOrEqualTo(1);
        assertThat(new String(this.http.get("/actuator/prometheus").body())).contains(
                "orders_consumer_events_seconds_count{broker=\"" + broker() + "\",outcome=\"processed\"}",
                "orders_consumer_in_flight", "orders_relay_published_total", "orders_relay_failures_total",
                // The relay's own pool (ORDERS_RELAY_DB_POOL, 2 by default) beside the app's, by name.
                "r2dbc_pool_max_allocated_connections{name=\"orders-relay\"} 2.0",
                "r2dbc_pool_max_allocated_connections{name=\"connectionFactory\"}");
    }

    private long consumerAttempts(String outcome) {
        return this.meters.get(EventMeters.CONSUMER_EVENTS)
            .tag(EventMeters.BROKER, broker())
            .tag(EventMeters.OUTCOME, outcome)
            .timer()
            .count();
    }

    protected abstract void assertBrokerSettings(JsonNode messaging);

    protected abstract void assertBrokerMetrics(String prometheus);

    protected JsonNode info() {
        HttpResponse<byte[]> response = this.http.get("/actuator/info");
        assertThat(response.statusCode()).isEqualTo(200);
        return JsonMapper.builder().build().readTree(response.body()).path("runtime");
    }

    protected long postOrder() {
        HttpResponse<byte[]> response = this.http.post("/orders", ContractFixtures.NEW_ORDER_BODY);
        assertThat(response.statusCode()).as(new String(response.body())).isEqualTo(201);
        String location = response.headers().firstValue("Location").orElseThrow();
        return Long.parseLong(location.substring("/orders/".length()));
    }

    /** Generous: the first test of a class also waits for the consumer group or the queues to come up. */
    protected static ConditionFactory eventually() {
        return Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100));
    }
}
