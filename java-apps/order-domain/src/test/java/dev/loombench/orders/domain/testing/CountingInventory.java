package dev.loombench.orders.domain.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A test-local downstream for the event consumers: answers {@code /inventory/{id}} and {@code /customers/{id}} with
 * the real service's formulas at once, except that every inventory call for one of the {@code failing} products
 * gets a 503, and counts inventory calls per product. A consumer's retries can then be counted exactly, without a
 * clock: a message tried N times made exactly N calls.
 */
public final class CountingInventory implements AutoCloseable {

    private static final List<String> TIERS = List.of("BRONZE", "SILVER", "GOLD");

    private final HttpServer server;

    private final ExecutorService exchanges = Executors.newCachedThreadPool((task) -> {
        Thread thread = new Thread(task, "counting-inventory");
        thread.setDaemon(true);
        return thread;
    });

    private final Set<Long> failing;

    private final Map<Long, AtomicInteger> calls = new ConcurrentHashMap<>();

    private CountingInventory(Set<Long> failing) throws IOException {
        this.failing = failing;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
        this.server.setExecutor(this.exchanges);
        this.server.createContext("/customers/", this::customer);
        this.server.createContext("/inventory/", this::inventory);
        this.server.start();
    }

    /** Listens on 127.0.0.1 and an ephemeral port; {@link #close()} stops it. */
    public static CountingInventory start(Long... failingProductIds) {
        try {
            return new CountingInventory(Set.of(failingProductIds));
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** The stock the real downstream reports for a product: {@code (productId * 7919) % 100}. */
    public static int stock(long productId) {
        return (int) ((productId * 7919) % 100);
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + this.server.getAddress().getPort();
    }

    /** Inventory calls made for the product so far, failed ones included. */
    public int calls(long productId) {
        AtomicInteger count = this.calls.get(productId);
        return (count != null) ? count.get() : 0;
    }

    private void customer(HttpExchange exchange) throws IOException {
        long id = lastSegment(exchange);
        respond(exchange, 200,
                "{\"id\":" + id + ",\"name\":\"Customer " + id + "\",\"tier\":\"" + TIERS.get((int) (id % 3)) + "\"}");
    }

    private void inventory(HttpExchange exchange) throws IOException {
        long productId = lastSegment(exchange);
        this.calls.computeIfAbsent(productId, (id) -> new AtomicInteger()).incrementAndGet();
        if (this.failing.contains(productId)) {
            respond(exchange, 503, "{\"error\":\"failing on purpose\"}");
            return;
        }
        int stock = stock(productId);
        respond(exchange, 200, "{\"productId\":" + productId + ",\"available\":" + (stock > 0) + ",\"stock\":" + stock
                + "}");
    }

    private static long lastSegment(HttpExchange exchange) {
        String path = exchange.getRequestURI().getPath();
        return Long.parseLong(path.substring(path.lastIndexOf('/') + 1));
    }

    private static void respond(HttpExchange exchange, int status, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
    }

    @Override
    public void close() {
        this.server.stop(0);
        this.exchanges.shutdownNow();
    }
}
