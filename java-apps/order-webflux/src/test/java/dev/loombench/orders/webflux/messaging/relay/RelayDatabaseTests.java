package dev.loombench.orders.webflux.messaging.relay;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryOptions;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.r2dbc.autoconfigure.R2dbcProperties;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.transaction.reactive.TransactionalOperator;

import dev.loombench.orders.domain.event.RelaySettings;
import dev.loombench.orders.webflux.TestInfrastructure;
import dev.loombench.orders.webflux.messaging.MessagingProperties;
import dev.loombench.orders.webflux.messaging.TestEvents;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code ORDERS_RELAY_DB_POOL} against the real PostgreSQL: with a size the relay's transaction runs on connections
 * of its own pool (PostgreSQL sees them as {@code orders-relay}) and on its own thread, so it publishes while every
 * connection of the app's pool is taken; with 0 it runs on the app's pool, as before.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.NONE)
class RelayDatabaseTests {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private static final String APPLICATION_NAME = "SELECT current_setting('application_name') AS name";

    @Autowired
    private DatabaseClient database;

    @Autowired
    private TransactionalOperator transaction;

    @Autowired
    private ConnectionFactory connectionFactory;

    @Autowired
    private R2dbcProperties r2dbc;

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        TestInfrastructure.register(registry);
    }

    @Test
    void ownPoolIsApartFromTheAppPoolInPostgresqlAndInItsMetrics() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (RelayDatabase relay = ownPool(meters)) {
            assertThat(relay.poolSize()).isEqualTo(2);
            assertThat(applicationName(relay.database(), relay.transaction())).isEqualTo(RelayDatabase.POOL_NAME);
            assertThat(applicationName(this.database, this.transaction)).isEqualTo("orders");
            assertThat(meters.get("r2dbc.pool.max.allocated").tag("name", RelayDatabase.POOL_NAME).gauge().value())
                .isEqualTo(2);
        }
    }

    @Test
    void sizeZeroSharesTheAppPoolAndItsThreads() {
        RelayDatabase relay = RelayDatabase.shared(this.database, this.transaction);
        assertThat(relay.poolSize()).isZero();
        assertThat(relay.scheduler()).isNull();
        assertThat(applicationName(relay.database(), relay.transaction())).isEqualTo("orders");
    }

    /**
     * The consumers holding every connection of the app's pool do not hold up the relay; it publishes on its own
     * thread, and its claim, publish and mark are still one transaction: while it publishes, the rows it claimed are
     * locked to everyone else.
     */
    @Test
    void relayPublishesOnItsOwnPoolAndThreadWhileTheAppPoolIsExhaustedInOneTransaction() {
        List<UUID> mine = new ArrayList<>();
        TestEvents events = new TestEvents(this.database);
        for (int i = 0; i < 3; i++) {
            UUID id = UUID.randomUUID();
            events.insertOutbox(id, 0, "relay pool test " + id);
            mine.add(id);
        }
        ConnectionPool main = (ConnectionPool) this.connectionFactory;
        int size = main.getMetrics().orElseThrow().getMaxAllocatedSize();
        List<Connection> taken = new ArrayList<>();
        LockProbe probe = new LockProbe(mine, DatabaseClient.create(unpooled()));
        try (RelayDatabase relay = ownPool(new SimpleMeterRegistry())) {
            while (taken.size() < size) {
                taken.add(Mono.from(main.create()).block(TIMEOUT));
            }
            assertThat(main.getMetrics().orElseThrow().acquiredSize()).isEqualTo(size);
            OutboxRelay outboxRelay = new OutboxRelay(relay.database(), relay.transaction(), relay.scheduler(), probe,
                    new MessagingProperties.Relay(10_000, 50, 2), RelaySettings.ACK_TIMEOUT, new SimpleMeterRegistry());
            outboxRelay.start();
            try {
                TestEvents throughRelayPool = new TestEvents(relay.database());
                Awaitility.await()
                    .atMost(TIMEOUT)
                    .until(() -> mine.stream().allMatch((id) -> published(throughRelayPool, id)));
            }
            finally {
                outboxRelay.stop();
            }
        }
        finally {
            taken.forEach((connection) -> Mono.from(connection.close()).block(TIMEOUT));
        }
        assertThat(probe.lockedWhilePublishing).containsOnly(true);
        assertThat(probe.threads).allSatisfy((thread) -> assertThat(thread).startsWith("relay-scheduler-"));
    }

    private RelayDatabase ownPool(SimpleMeterRegistry meters) {
        return RelayDatabase.ownPool(this.r2dbc.getUrl(), this.r2dbc.getUsername(), this.r2dbc.getPassword(), 2,
                TIMEOUT, meters);
    }

    private ConnectionFactory unpooled() {
        return ConnectionFactories.get(ConnectionFactoryOptions.parse(this.r2dbc.getUrl())
            .mutate()
            .option(ConnectionFactoryOptions.USER, this.r2dbc.getUsername())
            .option(ConnectionFactoryOptions.PASSWORD, this.r2dbc.getPassword())
            .build());
    }

    private static boolean published(TestEvents events, UUID eventId) {
        return Boolean.TRUE.equals(events.database()
            .sql("SELECT published_at IS NOT NULL AS published FROM outbox WHERE event_id = :id")
            .bind("id", eventId)
            .map((row) -> row.get("published", Boolean.class))
            .one()
            .block(TIMEOUT));
    }

    private static String applicationName(DatabaseClient database, TransactionalOperator transaction) {
        return transaction.transactional(database.sql(APPLICATION_NAME).map((row) -> row.get("name", String.class))
            .one()).block(TIMEOUT);
    }

    /** A publisher that asks, from a connection of its own, whether this test's rows are locked by the relay. */
    private static final class LockProbe implements OutboxPublisher {

        private final List<UUID> rows;

        private final DatabaseClient outside;

        final List<Boolean> lockedWhilePublishing = new CopyOnWriteArrayList<>();

        final List<String> threads = new CopyOnWriteArrayList<>();

        LockProbe(List<UUID> rows, DatabaseClient outside) {
            this.rows = rows;
            this.outside = outside;
        }

        @Override
        public Mono<Void> publish(List<OutboxRow> claimed) {
            this.threads.add(Thread.currentThread().getName());
            if (claimed.stream().noneMatch((row) -> this.rows.contains(row.eventId()))) {
                return Mono.empty();
            }
            return this.outside.sql("SELECT count(*) AS unlocked FROM (SELECT 1 FROM outbox WHERE event_id IN (:ids) "
                    + "FOR UPDATE SKIP LOCKED) AS free")
                .bind("ids", this.rows)
                .map((row) -> row.get("unlocked", Long.class))
                .one()
                .doOnNext((unlocked) -> this.lockedWhilePublishing.add(unlocked == 0))
                .then();
        }
    }
}
