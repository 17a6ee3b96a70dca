package dev.loombench.orders.mvc.messaging.relay;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory;
import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.support.JdbcTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Where the relay's transaction runs ({@code ORDERS_RELAY_DB_POOL}): 0 shares the app's pool (Boot's
 * {@code JdbcClient} and {@code TransactionTemplate}), n &gt; 0 is a HikariCP pool of n connections used by the relay
 * only, with its own transaction manager, so a relay poll never queues behind the consumers for a connection.
 * order-webflux makes the same choice with the same property.
 * <p>
 * The own pool is deliberately not a {@code DataSource} bean: a second one would make Boot back off its own
 * DataSource, and {@code JdbcClient}/{@code TransactionTemplate} by type would become ambiguous for the rest of the
 * app. It is named {@value #POOL_NAME} (Hikari's {@code pool} tag on {@code hikaricp_connections_*}, and
 * PostgreSQL's {@code application_name} of its connections), so its metrics and sessions are never mixed with the
 * main pool's.
 */
public final class RelayDatabase implements AutoCloseable {

    /** The own pool's name, as in order-webflux. */
    public static final String POOL_NAME = "orders-relay";

    private final JdbcClient jdbc;

    private final TransactionTemplate transaction;

    /** Null when the relay shares the app's pool. */
    private final HikariDataSource ownPool;

    private RelayDatabase(JdbcClient jdbc, TransactionTemplate transaction, HikariDataSource ownPool) {
        this.jdbc = jdbc;
        this.transaction = transaction;
        this.ownPool = ownPool;
    }

    /** The relay on the app's own pool, as before {@code ORDERS_RELAY_DB_POOL} existed. */
    public static RelayDatabase shared(JdbcClient jdbc, TransactionTemplate transaction) {
        return new RelayDatabase(jdbc, transaction, null);
    }

    /**
     * A pool of {@code size} connections to the main pool's database, as its user, with its acquire timeout; fixed
     * size (minimum idle = maximum), as the main pool, so both open their connections before the first event.
     */
    public static RelayDatabase ownPool(HikariDataSource main, int size, MeterRegistry meters) {
        HikariConfig config = new HikariConfig();
        config.setPoolName(POOL_NAME);
        config.setJdbcUrl(main.getJdbcUrl());
        config.setUsername(main.getUsername());
        config.setPassword(main.getPassword());
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(size);
        config.setConnectionTimeout(main.getConnectionTimeout());
        config.addDataSourceProperty("ApplicationName", POOL_NAME);
        config.setMetricsTrackerFactory(new MicrometerMetricsTrackerFactory(meters));
        HikariDataSource pool = new HikariDataSource(config);
        TransactionTemplate transaction = new TransactionTemplate(new JdbcTransactionManager(pool));
        return new RelayDatabase(JdbcClient.create(pool), transaction, pool);
    }

    public JdbcClient jdbc() {
        return this.jdbc;
    }

    public TransactionTemplate transaction() {
        return this.transaction;
    }

    /** The live own pool's size; 0 when the relay shares the app's pool. */
    public int poolSize() {
        return (this.ownPool != null) ? this.ownPool.getMaximumPoolSize() : 0;
    }

    @Override
    public void close() {
        if (this.ownPool != null) {
            this.ownPool.close();
        }
    }
}
