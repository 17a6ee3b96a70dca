package dev.loombench.orders.domain.testing;

import java.io.IOException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpExchange;

/**
 * A test-local downstream for the event consumers: answers {@code /inventory/{id}} and {@code /customers/{id}} with
 * the real service's formulas, except that every inventory call for one of the {@code failing} products gets a 503.
 * It counts inventory calls per product, so a consumer's retries can be counted exactly, without a clock: a message
 * tried N times made exactly N calls. Inventory calls honour {@code delayMs} like the real service (so they overlap
 * whenever the app lets them), and the most that were in flight at once is kept: seen from outside the app, that is
 * how many consumed events the app had in flight.
 */
public final class CountingInventory implements AutoCloseable {

    private final Set<Long> failing;

    private final Map<Long, AtomicInteger> calls = new ConcurrentHashMap<>();

    private final AtomicInteger inFlight = new AtomicInteger();

    private final AtomicInteger maxInFlight = new AtomicInteger();

    private final FakeDownstreamServer server;

    private CountingInventory(Set<Long> failing) {
        this.failing = failing;
        this.server = FakeDownstreamServer.start("counting-inventory", FakeDownstreamServer::respondCustomer,
                this::inventory);
    }

    /** Listens on 127.0.0.1 and an ephemeral port; {@link #close()} stops it. */
    public static CountingInventory start(Long... failingProductIds) {
        return new CountingInventory(Set.of(failingProductIds));
    }

    /** The stock the real downstream reports for a product: {@code (productId * 7919) % 100}. */
    public static int stock(long productId) {
        return FakeDownstreamServer.stock(productId);
    }

    public String baseUrl() {
        return this.server.baseUrl();
    }

    /** Inventory calls made for the product so far, failed ones included. */
    public int calls(long productId) {
        AtomicInteger count = this.calls.get(productId);
        return (count != null) ? count.get() : 0;
    }

    /** Inventory calls made so far for any product, failed ones included. */
    public int calls() {
        return this.calls.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    /** The most inventory calls that were in flight at this server at the same moment. */
    public int maxConcurrentCalls() {
        return this.maxInFlight.get();
    }

    private void inventory(HttpExchange exchange) throws IOException {
        long productId = FakeDownstreamServer.lastSegment(exchange);
        this.calls.computeIfAbsent(productId, (id) -> new AtomicInteger()).incrementAndGet();
        this.maxInFlight.accumulateAndGet(this.inFlight.incrementAndGet(), Math::max);
        try {
            Thread.sleep(delayMs(exchange));
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        finally {
            this.inFlight.decrementAndGet();
        }
        if (this.failing.contains(productId)) {
            FakeDownstreamServer.respond(exchange, 503, "{\"error\":\"failing on purpose\"}");
            return;
        }
        FakeDownstreamServer.respondInventory(exchange);
    }

    private static long delayMs(HttpExchange exchange) {
        String query = exchange.getRequestURI().getQuery();
        return (query != null && query.startsWith("delayMs=")) ? Long.parseLong(query.substring(8)) : 0;
    }

    @Override
    public void close() {
        this.server.close();
    }
}
