package dev.loombench.orders.mvc.messaging.relay;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;
import org.springframework.transaction.support.TransactionTemplate;

import dev.loombench.orders.mvc.testsupport.EventTables;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code ORDERS_RELAY_DB_POOL} against the real PostgreSQL: with a size the relay's transaction runs on connections
 * of its own pool (PostgreSQL sees them as {@code orders-relay}), so it publishes while every connection of the
 * app's pool is taken; with 0 it runs on the app's pool, as before.
 */
@SpringBootTest(webEnvironment = WebEnvironment.NONE)
class RelayDatabaseTests {

    private static final String APPLICATION_NAME = "SELECT current_setting('application_name')";

    @Autowired
    private DataSource dataSource;

    @Autowired
    private JdbcClient jdbc;

    @Autowired
    private TransactionTemplate transaction;

    @Test
    void ownPoolIsApartFromTheAppPoolInPostgresqlAndInItsMetrics() throws SQLException {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (RelayDatabase relay = RelayDatabase.ownPool(main(), 2, meters)) {
            assertThat(relay.poolSize()).isEqualTo(2);
            assertThat(applicationName(relay)).isEqualTo(RelayDatabase.POOL_NAME);
            assertThat(this.jdbc.sql(APPLICATION_NAME).query(String.class).single()).isEqualTo("orders");
            assertThat(meters.get("hikaricp.connections.max").tag("pool", RelayDatabase.POOL_NAME).gauge().value())
                .isEqualTo(2);
        }
    }

    @Test
    void sizeZeroSharesTheAppPool() {
        RelayDatabase relay = RelayDatabase.shared(this.jdbc, this.transaction);
        assertThat(relay.poolSize()).isZero();
        assertThat(applicationName(relay)).isEqualTo("orders");
    }

    /**
     * The consumers holding every connection of the app's pool do not hold up the relay, and its claim, publish and
     * mark are still one transaction: while it publishes, the rows it claimed are locked to everyone else.
     */
    @Test
    void relayPublishesOnItsOwnPoolWhileTheAppPoolIsExhaustedInOneTransaction() throws SQLException {
        List<UUID> mine = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            UUID id = UUID.randomUUID();
            new EventTables(this.jdbc).insertOutbox(id, 0, "relay pool test " + id);
            mine.add(id);
        }
        LockProbe probe = new LockProbe(mine);
        HikariDataSource main = main();
        List<Connection> taken = new ArrayList<>();
        try (RelayDatabase relay = RelayDatabase.ownPool(main, 2, new SimpleMeterRegistry())) {
            while (taken.size() < main.getMaximumPoolSize()) {
                taken.add(main.getConnection());
            }
            new OutboxRelay(relay.jdbc(), relay.transaction(), probe, 10_000, 50, new SimpleMeterRegistry()).poll();
        }
        finally {
            for (Connection connection : taken) {
                connection.close();
            }
        }
        EventTables tables = new EventTables(this.jdbc);
        assertThat(mine).allSatisfy((id) -> assertThat(tables.published(id)).isTrue());
        assertThat(probe.lockedWhilePublishing).containsOnly(true);
    }

    /** Inside the relay's own transaction, as its claim runs. */
    private static String applicationName(RelayDatabase relay) {
        return relay.transaction()
            .execute((status) -> relay.jdbc().sql(APPLICATION_NAME).query(String.class).single());
    }

    private HikariDataSource main() throws SQLException {
        return this.dataSource.unwrap(HikariDataSource.class);
    }

    /** A publisher that asks, from a connection of its own, whether this test's rows are locked by the relay. */
    private final class LockProbe implements OutboxPublisher {

        private final List<UUID> rows;

        final List<Boolean> lockedWhilePublishing = new CopyOnWriteArrayList<>();

        LockProbe(List<UUID> rows) {
            this.rows = rows;
        }

        @Override
        public Duration ackTimeout() {
            return Duration.ofSeconds(1);
        }

        @Override
        public void publish(List<OutboxRow> claimed) {
            if (claimed.stream().noneMatch((row) -> this.rows.contains(row.eventId()))) {
                return;
            }
            // Not through the app's pool (all taken): a plain connection, as another relay instance would have.
            HikariDataSource main;
            try {
                main = main();
            }
            catch (SQLException ex) {
                throw new IllegalStateException(ex);
            }
            try (Connection other = DriverManager.getConnection(main.getJdbcUrl(), main.getUsername(),
                    main.getPassword())) {
                JdbcClient outside = JdbcClient.create(new SingleConnectionDataSource(other, true));
                long visible = outside.sql("SELECT count(*) FROM (SELECT 1 FROM outbox WHERE event_id IN (:ids) "
                        + "FOR UPDATE SKIP LOCKED) AS unlocked")
                    .param("ids", this.rows)
                    .query(Long.class)
                    .single();
                this.lockedWhilePublishing.add(visible == 0);
            }
            catch (SQLException ex) {
                throw new IllegalStateException(ex);
            }
        }

        @Override
        public String broker() {
            return "test-broker";
        }
    }
}
