package dev.loombench.orders.webflux.messaging.relay;

import java.time.Duration;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.r2dbc.pool.PoolMetrics;
import io.r2dbc.postgresql.PostgresqlConnectionFactoryProvider;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactoryOptions;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.netty.resources.LoopResources;

import org.springframework.boot.r2dbc.metrics.ConnectionPoolMetrics;
import org.springframework.r2dbc.connection.R2dbcTransactionManager;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.reactive.TransactionalOperator;

/**
 * Where the relay's transaction runs ({@code ORDERS_RELAY_DB_POOL}) and on which threads: 0 shares the app's R2DBC
 * pool and threads (as before the setting existed), n &gt; 0 gives the relay an R2DBC pool of n connections of its
 * own, with its own transaction manager, so a round never waits behind the consumers' acquisitions (with 256 events
 * in flight on a 16-connection pool, ~240 of them queue there).
 * <p>
 * The threads come with it. On the shared pool the relay's steps run on r2dbc-postgresql's {@code reactor-tcp-*}
 * event loops, the ones every consumer's connection is served by and that the consumers keep busy, and its poll
 * timer on Reactor's {@code parallel} scheduler. The own pool's connections are served by an event loop of their
 * own ({@code relay-tcp-*}, one thread), and the relay's timer and its publish step run on a single thread of their
 * own ({@code relay-scheduler-1}): the equivalent of the scheduling thread order-mvc's relay polls on.
 * <p>
 * Not a {@code ConnectionFactory} bean: a second one would make Boot back off its own, and {@code DatabaseClient}
 * by type would become ambiguous. Its metrics are {@code r2dbc_pool_*{name="orders-relay"}} (the main pool's are
 * {@code name="connectionFactory"}), and its sessions are {@code application_name} {@value #POOL_NAME} in
 * PostgreSQL, so neither is ever mixed with the main pool's.
 */
public final class RelayDatabase implements AutoCloseable {

    /** The own pool's name, as in order-mvc. */
    public static final String POOL_NAME = "orders-relay";

    private final DatabaseClient database;

    private final TransactionalOperator transaction;

    /** Null when shared, with {@link #loops} and {@link #scheduler}. */
    private final ConnectionPool ownPool;

    private final LoopResources loops;

    private final Scheduler scheduler;

    private RelayDatabase(DatabaseClient database, TransactionalOperator transaction, ConnectionPool ownPool,
            LoopResources loops, Scheduler scheduler) {
        this.database = database;
        this.transaction = transaction;
        this.ownPool = ownPool;
        this.loops = loops;
        this.scheduler = scheduler;
    }

    /** The relay on the app's pool and threads. */
    public static RelayDatabase shared(DatabaseClient database, TransactionalOperator transaction) {
        return new RelayDatabase(database, transaction, null, null, null);
    }

    /**
     * A pool of {@code size} connections (initial = max, as the main pool) to the database of {@code url}, with
     * the main pool's acquire timeout; its meters are registered in {@code meters}.
     */
    public static RelayDatabase ownPool(String url, String username, String password, int size,
            Duration maxAcquireTime, MeterRegistry meters) {
        LoopResources loops = LoopResources.create("relay-tcp", 1, true);
        ConnectionFactoryOptions options = ConnectionFactoryOptions.parse(url)
            .mutate()
            .option(ConnectionFactoryOptions.USER, username)
            .option(ConnectionFactoryOptions.PASSWORD, password)
            .option(PostgresqlConnectionFactoryProvider.APPLICATION_NAME, POOL_NAME)
            .option(PostgresqlConnectionFactoryProvider.LOOP_RESOURCES, loops)
            .build();
        ConnectionPoolConfiguration.Builder config = ConnectionPoolConfiguration
            .builder(ConnectionFactories.get(options))
            .name(POOL_NAME)
            .initialSize(size)
            .maxSize(size);
        if (maxAcquireTime != null) {
            config.maxAcquireTime(maxAcquireTime);
        }
        ConnectionPool pool = new ConnectionPool(config.build());
        new ConnectionPoolMetrics(pool, POOL_NAME, Tags.empty()).bindTo(meters);
        return new RelayDatabase(DatabaseClient.create(pool),
                TransactionalOperator.create(new R2dbcTransactionManager(pool)), pool, loops,
                Schedulers.newSingle("relay-scheduler", true));
    }

    public DatabaseClient database() {
        return this.database;
    }

    public TransactionalOperator transaction() {
        return this.transaction;
    }

    /** The relay's own thread; null when it shares the app's threads. */
    public Scheduler scheduler() {
        return this.scheduler;
    }

    /** The own pool (null when shared), e.g. for its live settings. */
    public ConnectionPool ownPool() {
        return this.ownPool;
    }

    /** The live own pool's maximum size; 0 when the relay shares the app's pool. */
    public int poolSize() {
        return (this.ownPool != null) ? this.ownPool.getMetrics().map(PoolMetrics::getMaxAllocatedSize).orElse(-1)
                : 0;
    }

    @Override
    public void close() {
        if (this.ownPool != null) {
            this.ownPool.dispose();
            this.scheduler.dispose();
            this.loops.dispose();
        }
    }
}
