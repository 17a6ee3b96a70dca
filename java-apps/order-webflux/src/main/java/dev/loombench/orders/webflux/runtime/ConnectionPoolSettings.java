package dev.loombench.orders.webflux.runtime;

import java.lang.reflect.Field;
import java.time.Duration;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.PoolMetrics;
import reactor.pool.InstrumentedPool;

import dev.loombench.orders.domain.runtime.RuntimeSettings.DbPoolSettings;

/**
 * Reads the effective limits back from the live R2DBC {@link ConnectionPool}. Its public API only exposes the
 * maximum size (through {@link PoolMetrics}); the acquire timeout and the minimum kept open live in private
 * fields, so they are read reflectively rather than echoed from the properties, which could differ from what
 * the pool was built with. A field that cannot be read is reported as -1.
 */
final class ConnectionPoolSettings {

    private ConnectionPoolSettings() {
    }

    static DbPoolSettings of(ConnectionPool pool) {
        int maxSize = pool.getMetrics().map(PoolMetrics::getMaxAllocatedSize).orElse(-1);
        return new DbPoolSettings(LibraryVersion.of("r2dbc-pool", ConnectionPool.class), maxSize,
                minimumKeptOpen(pool), acquireTimeoutMs(pool));
    }

    /** r2dbc-pool sizes its reactor-pool between max(minIdle, initialSize) and maxSize. */
    private static int minimumKeptOpen(ConnectionPool pool) {
        Object instrumented = field(pool, "connectionPool");
        return (instrumented instanceof InstrumentedPool<?> reactorPool)
                ? reactorPool.config().allocationStrategy().permitMinimum() : -1;
    }

    private static long acquireTimeoutMs(ConnectionPool pool) {
        return (field(pool, "maxAcquireTime") instanceof Duration timeout) ? timeout.toMillis() : -1;
    }

    private static Object field(ConnectionPool pool, String name) {
        try {
            Field field = ConnectionPool.class.getDeclaredField(name);
            field.setAccessible(true);
            return field.get(pool);
        }
        catch (ReflectiveOperationException | RuntimeException ex) {
            return null;
        }
    }
}
