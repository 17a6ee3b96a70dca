package dev.loombench.orders.mvc.messaging.consumer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.postgresql.Driver;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;

import dev.loombench.orders.domain.event.EventSql;
import dev.loombench.orders.domain.event.OrderEventType;
import dev.loombench.orders.domain.testing.TestDatabase;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shared inbox and projection statement (EventSql, the same text order-webflux runs over R2DBC) against the real
 * PostgreSQL and schema of {@code harness infra exec}: applied the way both consumers apply an event, one statement,
 * projection only when the inbox took the event.
 */
class ProjectionOrderingTests {

    private static final TestDatabase DATABASE = TestDatabase.fromEnvironment();

    private final JdbcClient jdbc;

    /** Far from seeded (1..) and POSTed (1e9..) ids; the projection has no foreign key to orders. */
    private final long orderId = 700_000_000L + ThreadLocalRandom.current().nextLong(100_000_000L);

    private final List<UUID> eventIds = new ArrayList<>();

    ProjectionOrderingTests() {
        SimpleDriverDataSource dataSource = new SimpleDriverDataSource(new Driver(), DATABASE.jdbcUrl(),
                DATABASE.user(), DATABASE.password());
        this.jdbc = JdbcClient.create(dataSource);
    }

    @AfterEach
    void removeRows() {
        this.jdbc.sql("DELETE FROM order_projection WHERE order_id = :id").param("id", this.orderId).update();
        if (!this.eventIds.isEmpty()) {
            this.jdbc.sql("DELETE FROM inbox WHERE event_id IN (:ids)").param("ids", this.eventIds).update();
        }
    }

    @Test
    void theLifecycleInOrderIsNoViolation() {
        apply(event(), OrderEventType.ORDER_CREATED);
        apply(event(), OrderEventType.ORDER_PAID);
        UUID shipped = event();
        apply(shipped, OrderEventType.ORDER_SHIPPED);

        assertThat(row()).containsEntry("stage", 3).containsEntry("out_of_order", 0).containsEntry("applied", 3)
            .containsEntry("event_id", shipped).containsEntry("created_applied", 1).containsEntry("paid_applied", 1)
            .containsEntry("shipped_applied", 1);
    }

    /**
     * Paid arrives before its predecessor: one violation, and the row holds stage 2. The late Created that follows is
     * an older state than the one held, a violation of its own: a swapped pair counts both of its events.
     */
    @Test
    void paidBeforeCreatedIsAViolationAndTheRowKeepsTheNewestStage() {
        UUID paid = event();
        apply(paid, OrderEventType.ORDER_PAID);
        assertThat(row()).containsEntry("stage", 2).containsEntry("out_of_order", 1).containsEntry("event_id", paid);

        apply(event(), OrderEventType.ORDER_CREATED);
        assertThat(row()).containsEntry("stage", 2).containsEntry("out_of_order", 2).containsEntry("event_id", paid)
            .containsEntry("created_applied", 1).containsEntry("paid_applied", 1);

        apply(event(), OrderEventType.ORDER_SHIPPED);
        assertThat(row()).as("Shipped after Paid is the next stage again").containsEntry("stage", 3)
            .containsEntry("out_of_order", 2);
    }

    @Test
    void aRedeliveredDuplicateIsTurnedAwayByTheInboxAndIsNoViolation() {
        UUID created = event();
        assertThat(apply(created, OrderEventType.ORDER_CREATED)).isTrue();
        UUID paid = event();
        assertThat(apply(paid, OrderEventType.ORDER_PAID)).isTrue();
        assertThat(apply(created, OrderEventType.ORDER_CREATED)).as("inbox already holds it").isFalse();
        assertThat(apply(paid, OrderEventType.ORDER_PAID)).isFalse();

        assertThat(row()).containsEntry("stage", 2).containsEntry("out_of_order", 0).containsEntry("applied", 2)
            .containsEntry("created_applied", 1).containsEntry("paid_applied", 1);
        assertThat(this.jdbc.sql("SELECT sum(duplicates) FROM inbox WHERE event_id IN (:ids)")
            .param("ids", this.eventIds).query(Long.class).single()).isEqualTo(2);
    }

    /** Were the inbox bypassed, a stage applied twice is what reconciliation's "processed twice" finds. */
    @Test
    void aStageAppliedTwiceShowsInItsOwnCount() {
        apply(event(), OrderEventType.ORDER_CREATED);
        UUID paid = event();
        apply(paid, OrderEventType.ORDER_PAID);
        upsertProjection(paid, OrderEventType.ORDER_PAID);

        assertThat(row()).containsEntry("created_applied", 1).containsEntry("paid_applied", 2)
            .containsEntry("out_of_order", 1);
    }

    private UUID event() {
        UUID id = UUID.randomUUID();
        this.eventIds.add(id);
        return id;
    }

    /** What both OrderEventProcessors do after the downstream call; true when the event was new. */
    private boolean apply(UUID eventId, OrderEventType type) {
        return this.jdbc.sql(EventSql.APPLY_EVENT)
            .param("eventId", eventId)
            .param("broker", "kafka")
            .param("orderId", this.orderId)
            .param("customerId", 17L)
            .param("totalCents", 4497L)
            .param("stock", 42)
            .param("stage", type.stage())
            .query(Boolean.class)
            .single();
    }

    /** Concurrent redeliveries of one event: the inbox lets exactly one through, and the projection counts it once. */
    @Test
    void concurrentRedeliveriesApplyTheEventOnce() throws Exception {
        UUID created = event();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Boolean>> tries = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                tries.add(pool.submit(() -> apply(created, OrderEventType.ORDER_CREATED)));
            }
            int applied = 0;
            for (Future<Boolean> attempt : tries) {
                applied += attempt.get() ? 1 : 0;
            }
            assertThat(applied).isEqualTo(1);
        }
        finally {
            pool.shutdownNow();
        }
        assertThat(row()).containsEntry("applied", 1).containsEntry("created_applied", 1);
        assertThat(this.jdbc.sql("SELECT duplicates FROM inbox WHERE event_id = :id").param("id", created)
            .query(Integer.class).single()).isEqualTo(7);
    }

    private void upsertProjection(UUID eventId, OrderEventType type) {
        this.jdbc.sql(EventSql.PROJECTION_UPSERT)
            .param("orderId", this.orderId)
            .param("eventId", eventId)
            .param("customerId", 17L)
            .param("totalCents", 4497L)
            .param("stock", 42)
            .param("stage", type.stage())
            .update();
    }

    private Map<String, Object> row() {
        return this.jdbc.sql("SELECT event_id, stage, out_of_order, applied, created_applied, paid_applied, "
                + "shipped_applied FROM order_projection WHERE order_id = :id")
            .param("id", this.orderId)
            .query()
            .singleRow();
    }
}
