package dev.loombench.orders.domain.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A test-local stand-in for the downstream service that proves concurrency instead of timing it.
 * {@code /customers/{id}} answers only once {@code gate} customer calls are waiting at the same time, then
 * releases them all and answers later calls at once; {@code /inventory/{id}} answers at once. Bodies follow the real service's formulas, so an
 * order expanded through it equals the golden document. A call that still waits after the safety timeout gets a
 * 503, which the app turns into its customer 502: the test then fails on statuses, never on a clock.
 * <p>
 * Every exchange gets its own thread, so this server never limits concurrency itself.
 */
public final class GatedDownstream implements AutoCloseable {

    private static final List<String> TIERS = List.of("BRONZE", "SILVER", "GOLD");

    private final HttpServer server;

    private final ExecutorService exchanges = Executors.newCachedThreadPool((task) -> {
        Thread thread = new Thread(task, "gated-downstream");
        thread.setDaemon(true);
        return thread;
    });

    private final int gate;

    /** Completed the first time {@code gate} customer calls wait together; stays open afterwards. */
    private final CompletableFuture<Void> opened = new CompletableFuture<>();

    private final Duration safetyTimeout;

    private final AtomicInteger waiting = new AtomicInteger();

    private final AtomicInteger maxWaiting = new AtomicInteger();

    private final AtomicInteger customerCalls = new AtomicInteger();

    private GatedDownstream(int gate, Duration safetyTimeout) throws IOException {
        this.gate = gate;
        this.safetyTimeout = safetyTimeout;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
        this.server.setExecutor(this.exchanges);
        this.server.createContext("/customers/", this::customer);
        this.server.createContext("/inventory/", this::inventory);
        this.server.start();
    }

    /** Listens on 127.0.0.1 and an ephemeral port; {@link #close()} stops it. */
    public static GatedDownstream start(int gate, Duration safetyTimeout) {
        try {
            return new GatedDownstream(gate, safetyTimeout);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + this.server.getAddress().getPort();
    }

    /** The most customer calls that were waiting at this server at the same moment. */
    public int maxConcurrentCustomerCalls() {
        return this.maxWaiting.get();
    }

    public int customerCalls() {
        return this.customerCalls.get();
    }

    /** True once {@code gate} customer calls were in flight together. */
    public boolean gateOpened() {
        return this.opened.isDone();
    }

    private void customer(HttpExchange exchange) throws IOException {
        this.customerCalls.incrementAndGet();
        // Counts calls waiting right now, not arrivals: calls that queue one after the other never open the gate.
        int now = this.waiting.incrementAndGet();
        this.maxWaiting.accumulateAndGet(now, Math::max);
        if (now >= this.gate) {
            this.opened.complete(null);
        }
        boolean opened;
        try {
            this.opened.get(this.safetyTimeout.toMillis(), TimeUnit.MILLISECONDS);
            opened = true;
        }
        catch (TimeoutException | ExecutionException ex) {
            opened = false;
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            opened = false;
        }
        finally {
            this.waiting.decrementAndGet();
        }
        if (!opened) {
            respond(exchange, 503, "{\"error\":\"gate not reached\"}");
            return;
        }
        long id = lastSegment(exchange);
        respond(exchange, 200,
                "{\"id\":" + id + ",\"name\":\"Customer " + id + "\",\"tier\":\"" + TIERS.get((int) (id % 3)) + "\"}");
    }

    private void inventory(HttpExchange exchange) throws IOException {
        long productId = lastSegment(exchange);
        long stock = (productId * 7919) % 100;
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
