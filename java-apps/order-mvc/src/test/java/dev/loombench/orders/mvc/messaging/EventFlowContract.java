package dev.loombench.orders.mvc.messaging;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;

import dev.loombench.orders.domain.event.EventMeters;
import dev.loombench.orders.domain.testing.Await;
import dev.loombench.orders.domain.testing.ContractFixtures;
import dev.loombench.orders.domain.testing.CountingInventory;
import dev.loombench.orders.domain.testing.TestDatabase;
import dev.loombench.orders.domain.testing.TestHttp;
import dev.loombench.orders.mvc.testsupport.EventTables.DeadLetter;
import dev.loombench.orders.mvc.testsupport.EventTables.ProjectionRow;
import dev.loombench.orders.mvc.testsupport.EventTables;
import dev.loombench.orders.mvc.testsupport.ThreadProbes;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * POST → outbox → relay → real broker → listener → inbox + projection, for one broker per subclass. The database
 * and the broker are shared with other test classes (and order-webflux's), so every class uses its own topic or
 * queues and consumer group, and asserts only on the events it created itself. The downstream is a
 * {@link CountingInventory}: real HTTP, and it lets a test count the consumer's attempts exactly.
 */
public abstract class EventFlowContract {

    /** Inventory calls for this product fail: its events must be retried, then dead-lettered. */
    protected static final long FAILING_PRODUCT_ID = 424242L;

    protected static final int MAX_ATTEMPTS = 3;

    protected static final CountingInventory INVENTORY = CountingInventory.start(FAILING_PRODUCT_ID);

    @LocalServerPort
    private int port;

    @Autowired
    private JdbcClient jdbc;

    @Autowired
    private ThreadProbes threads;

    @Autowired
    private MeterRegistry meters;

    /** The broker's label as the inbox and dead letters record it. */
    protected abstract String broker();

    /** What the dead-letter listener can tell about why a poison message was given up. */
    protected abstract String poisonReason();

    protected abstract String transientFailureReason();

    /** The settings under runtime.messaging of /actuator/info that the subclass configured. */
    protected abstract String[] expectedMessagingInfo();

    /** Metrics that must appear in /actuator/prometheus once events were consumed. */
    protected abstract String[] expectedMetrics();

    /** Test-wide settings; the subclass adds its broker and its private topic or queue names. */
    protected static void commonProperties(DynamicPropertyRegistry registry, String broker) {
        registry.add("ORDERS_BROKER", () -> broker);
        registry.add("ORDERS_VIRTUAL_THREADS", () -> "true");
        registry.add("ORDERS_CONSUMER_MAX_ATTEMPTS", () -> Integer.toString(MAX_ATTEMPTS));
        registry.add("ORDERS_CONSUMER_BACKOFF_MS", () -> "20");
        // Not the default: /actuator/info shows it reached the app (which needs it for nothing, see
        // MessagingProperties.consumerOrdering).
        registry.add("ORDERS_CONSUMER_ORDERING", () -> "per-key");
        registry.add("ORDERS_CONSUMER_DELAY_MS", () -> "0");
        registry.add("ORDERS_RELAY_POLL_INTERVAL_MS", () -> "25");
        registry.add("ORDERS_RELAY_BATCH_SIZE", () -> "50");
        registry.add("orders.downstream.url", INVENTORY::baseUrl);
    }

    /** A suffix that makes topic, queue and group names private to one test class run. */
    protected static String unique(Class<?> testClass) {
        return testClass.getSimpleName().toLowerCase() + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @BeforeAll
    static void fixtures() {
        TestDatabase.fromEnvironment().insertFixtures();
    }

    @Test
    void postedOrderIsProjectedExactlyOnceWithTheInventoryAnswer() {
        Created order = post(342);
        Await.until("inbox row of " + order.eventId(), () -> tables().inbox(order.eventId()).isPresent());

        assertThat(tables().inbox(order.eventId())).hasValueSatisfying((inbox) -> {
            assertThat(inbox.broker()).isEqualTo(broker());
            assertThat(inbox.duplicates()).isZero();
        });
        assertThat(tables().projection(order.id())).contains(new ProjectionRow(order.id(), order.eventId(),
                ContractFixtures.FIXTURE_CUSTOMER_ID, 8562, CountingInventory.stock(342), 1));
        assertThat(tables().published(order.eventId())).isTrue();
    }

    /** The harness's duplicate fault: a second outbox row with the same event id and payload. */
    @Test
    void redeliveredEventBumpsDuplicatesAndChangesTheProjectionOnce() {
        Created order = post(343);
        Await.until("inbox row of " + order.eventId(), () -> tables().inbox(order.eventId()).isPresent());
        String payload = tables().outbox(order.id()).get(0).payload();

        tables().insertOutbox(order.eventId(), order.id(), payload);
        tables().insertOutbox(order.eventId(), order.id(), payload);
        Await.until("two suppressed duplicates of " + order.eventId(),
                () -> tables().inbox(order.eventId()).orElseThrow().duplicates() == 2);

        assertThat(tables().projection(order.id())).hasValueSatisfying((row) -> {
            assertThat(row.applied()).isEqualTo(1);
            assertThat(row.stock()).isEqualTo(CountingInventory.stock(343));
        });
        assertThat(tables().outbox(order.id())).hasSize(3).allSatisfy((row) -> assertThat(row.published()).isTrue());
    }

    @Test
    void poisonPayloadIsDeadLetteredAtOnceAndStoredUnchanged() {
        String unreadable = "POISON " + UUID.randomUUID() + " {not json";
        UUID wrongTypeId = UUID.randomUUID();
        String wrongType = "{\"eventId\":\"" + wrongTypeId + "\",\"type\":\"OrderShipped\",\"productId\":777}";
        tables().insertOutbox(UUID.randomUUID(), 0, unreadable);
        tables().insertOutbox(wrongTypeId, 0, wrongType);

        Await.until("dead letter of the unreadable payload", () -> !tables().deadLettersWithPayload(unreadable).isEmpty());
        Await.until("dead letter of " + wrongTypeId, () -> !tables().deadLettersOf(wrongTypeId).isEmpty());

        List<DeadLetter> unreadableLetters = tables().deadLettersWithPayload(unreadable);
        assertThat(unreadableLetters).singleElement().satisfies((letter) -> {
            assertThat(letter.broker()).isEqualTo(broker());
            assertThat(letter.eventId()).isNull();
            assertThat(letter.reason()).contains(poisonReason());
        });
        assertThat(tables().deadLettersOf(wrongTypeId)).singleElement().satisfies((letter) -> {
            assertThat(letter.payload()).isEqualTo(wrongType);
            assertThat(letter.reason()).contains(poisonReason());
        });
        // Parsing failed before the downstream call: never retried, never applied.
        assertThat(INVENTORY.calls(777)).isZero();
        assertThat(tables().inbox(wrongTypeId)).isEmpty();
    }

    @Test
    void transientFailureIsRetriedMaxAttemptsTimesThenDeadLettered() {
        int callsBefore = INVENTORY.calls(FAILING_PRODUCT_ID);
        long failedBefore = consumerAttempts(EventMeters.FAILED);
        Created order = post(FAILING_PRODUCT_ID);
        Await.until("dead letter of " + order.eventId(), () -> !tables().deadLettersOf(order.eventId()).isEmpty());

        assertThat(tables().deadLettersOf(order.eventId())).singleElement().satisfies((letter) -> {
            assertThat(letter.broker()).isEqualTo(broker());
            assertThat(letter.reason()).contains(transientFailureReason());
            assertThat(letter.payload()).isEqualTo(tables().outbox(order.id()).get(0).payload());
        });
        assertThat(INVENTORY.calls(FAILING_PRODUCT_ID) - callsBefore).isEqualTo(MAX_ATTEMPTS);
        // The consumer timer counts attempts, as order-webflux's does (other tests' failures may add to it).
        assertThat(consumerAttempts(EventMeters.FAILED) - failedBefore).isGreaterThanOrEqualTo(MAX_ATTEMPTS);
        assertThat(tables().inbox(order.eventId())).isEmpty();
        assertThat(tables().projection(order.id())).isEmpty();
    }

    @Test
    void listenersAndRelayRunOnVirtualThreads() {
        Created order = post(344);
        Await.until("inbox row of " + order.eventId(), () -> tables().inbox(order.eventId()).isPresent());
        assertThat(this.threads.seen(broker().equals("kafka") ? "kafka-listener" : "rabbit-listener"))
            .containsExactly(true);
        assertThat(this.threads.seen("scheduler")).containsExactly(true);
    }

    @Test
    void infoReportsTheEffectiveMessagingSettings() {
        String info = utf8(server().get("/actuator/info"));
        assertThat(info).contains(expectedMessagingInfo());
    }

    @Test
    void listenerAndClientMetricsAreExported() {
        Created order = post(345);
        Await.until("inbox row of " + order.eventId(), () -> tables().inbox(order.eventId()).isPresent());
        assertThat(utf8(server().get("/actuator/prometheus"))).contains(expectedMetrics());
    }

    /** The same meter names and tag keys as order-webflux (EventMeters), and they count what happened. */
    @Test
    void eventMetersAreTheSharedSetAndCountTheConsumedEvent() {
        long processedBefore = consumerAttempts(EventMeters.PROCESSED);
        Created order = post(346);
        Await.until("inbox row of " + order.eventId(), () -> tables().inbox(order.eventId()).isPresent());

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
        String prometheus = utf8(server().get("/actuator/prometheus"));
        assertThat(prometheus).contains("orders_consumer_events_seconds_count{broker=\"" + broker()
                + "\",outcome=\"processed\"}", "orders_consumer_in_flight", "orders_relay_published_total",
                "orders_relay_failures_total");
        // The relay's own pool (ORDERS_RELAY_DB_POOL, 2 by default) is a pool of its own name beside the app's.
        assertThat(prometheus).contains("hikaricp_connections_max{pool=\"orders-relay\"} 2.0",
                "hikaricp_connections_max{pool=\"orders\"}");
    }

    private long consumerAttempts(String outcome) {
        return this.meters.get(EventMeters.CONSUMER_EVENTS)
            .tag(EventMeters.BROKER, broker())
            .tag(EventMeters.OUTCOME, outcome)
            .timer()
            .count();
    }

    @Test
    void healthIsUp() {
        HttpResponse<byte[]> response = server().get("/actuator/health");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(utf8(response)).contains("\"status\":\"UP\"");
    }

    private Created post(long productId) {
        HttpResponse<byte[]> response = server().post("/orders", "{\"customerId\":"
                + ContractFixtures.FIXTURE_CUSTOMER_ID + ",\"productId\":" + productId + ",\"quantity\":3}");
        assertThat(response.statusCode()).as(utf8(response)).isEqualTo(201);
        long id = Long.parseLong(response.headers().firstValue("Location").orElseThrow().substring("/orders/".length()));
        return new Created(id, tables().outbox(id).get(0).eventId());
    }

    private record Created(long id, UUID eventId) {
    }

    private EventTables tables() {
        return new EventTables(this.jdbc);
    }

    private TestHttp server() {
        return new TestHttp(this.port);
    }

    private static String utf8(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }
}
