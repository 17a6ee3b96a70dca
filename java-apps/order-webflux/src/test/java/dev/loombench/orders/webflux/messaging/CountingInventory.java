package dev.loombench.orders.webflux.messaging;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A test-local inventory service that counts how many calls it serves at the same moment: seen from outside the
 * app, that is how many consumed events the app has in flight. It honours {@code delayMs} like the real one (so
 * calls overlap whenever the app lets them) and answers with the real service's formula. Every exchange gets its
 * own thread, so the server never limits concurrency itself.
 */
public final class CountingInventory implements AutoCloseable {

    private final HttpServer server;

    private final ExecutorService exchanges = Executors.newCachedThreadPool();

    private final AtomicInteger current = new AtomicInteger();

    private final AtomicInteger max = new AtomicInteger();

    private final AtomicInteger calls = new AtomicInteger();

    private CountingInventory() throws IOException {
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
        this.server.setExecutor(this.exchanges);
        this.server.createContext("/inventory/", this::inventory);
        this.server.start();
    }

    public static CountingInventory start() {
        try {
            return new CountingInventory();
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + this.server.getAddress().getPort();
    }

    public int maxConcurrentCalls() {
        return this.max.get();
    }

    public int calls() {
        return this.calls.get();
    }

    private void inventory(HttpExchange exchange) throws IOException {
        this.calls.incrementAndGet();
        this.max.accumulateAndGet(this.current.incrementAndGet(), Math::max);
        try {
            Thread.sleep(delayMs(exchange));
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        finally {
            this.current.decrementAndGet();
        }
        String path = exchange.getRequestURI().getPath();
        long productId = Long.parseLong(path.substring(path.lastIndexOf('/') + 1));
        long stock = (productId * 7919) % 100;
        byte[] body = ("{\"productId\":" + productId + ",\"available\":" + (stock > 0) + ",\"stock\":" + stock + "}")
            .getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
    }

    private static long delayMs(HttpExchange exchange) {
        String query = exchange.getRequestURI().getQuery();
        return (query != null && query.startsWith("delayMs=")) ? Long.parseLong(query.substring(8)) : 0;
    }

    @Override
    public void close() {
        this.server.stop(0);
        this.exchanges.shutdownNow();
    }
}
