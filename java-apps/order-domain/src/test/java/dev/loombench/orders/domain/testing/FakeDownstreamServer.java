package dev.loombench.orders.domain.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;

/**
 * The HTTP plumbing and the real service's answer formulas that the test-local downstreams share. Every exchange
 * gets its own thread, so the server never limits concurrency itself.
 */
final class FakeDownstreamServer implements AutoCloseable {

    private static final List<String> TIERS = List.of("BRONZE", "SILVER", "GOLD");

    private final HttpServer server;

    private final ExecutorService exchanges;

    private FakeDownstreamServer(String threadName, HttpHandler customers, HttpHandler inventory) throws IOException {
        this.exchanges = Executors.newCachedThreadPool((task) -> {
            Thread thread = new Thread(task, threadName);
            thread.setDaemon(true);
            return thread;
        });
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
        this.server.setExecutor(this.exchanges);
        this.server.createContext("/customers/", customers);
        this.server.createContext("/inventory/", inventory);
        this.server.start();
    }

    /** Listens on 127.0.0.1 and an ephemeral port; {@link #close()} stops it. */
    static FakeDownstreamServer start(String threadName, HttpHandler customers, HttpHandler inventory) {
        try {
            return new FakeDownstreamServer(threadName, customers, inventory);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    String baseUrl() {
        return "http://127.0.0.1:" + this.server.getAddress().getPort();
    }

    /** The stock the real downstream reports for a product: {@code (productId * 7919) % 100}. */
    static int stock(long productId) {
        return (int) ((productId * 7919) % 100);
    }

    static void respondCustomer(HttpExchange exchange) throws IOException {
        long id = lastSegment(exchange);
        respond(exchange, 200,
                "{\"id\":" + id + ",\"name\":\"Customer " + id + "\",\"tier\":\"" + TIERS.get((int) (id % 3)) + "\"}");
    }

    static void respondInventory(HttpExchange exchange) throws IOException {
        long productId = lastSegment(exchange);
        int stock = stock(productId);
        respond(exchange, 200, "{\"productId\":" + productId + ",\"available\":" + (stock > 0) + ",\"stock\":" + stock
                + "}");
    }

    static long lastSegment(HttpExchange exchange) {
        String path = exchange.getRequestURI().getPath();
        return Long.parseLong(path.substring(path.lastIndexOf('/') + 1));
    }

    static void respond(HttpExchange exchange, int status, String json) throws IOException {
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
