package dev.loombench.orders.domain.testing;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpExchange;

/**
 * A test-local stand-in for the downstream service that proves concurrency instead of timing it.
 * {@code /customers/{id}} answers only once {@code gate} customer calls are waiting at the same time, then
 * releases them all and answers later calls at once; {@code /inventory/{id}} answers at once. Bodies follow the real service's formulas, so an
 * order expanded through it equals the golden document. A call that still waits after the safety timeout gets a
 * 503, which the app turns into its customer 502: the test then fails on statuses, never on a clock.
 */
public final class GatedDownstream implements AutoCloseable {

    private final int gate;

    /** Completed the first time {@code gate} customer calls wait together; stays open afterwards. */
    private final CompletableFuture<Void> opened = new CompletableFuture<>();

    private final Duration safetyTimeout;

    private final AtomicInteger waiting = new AtomicInteger();

    private final AtomicInteger maxWaiting = new AtomicInteger();

    private final AtomicInteger customerCalls = new AtomicInteger();

    private final FakeDownstreamServer server;

    private GatedDownstream(int gate, Duration safetyTimeout) {
        this.gate = gate;
        this.safetyTimeout = safetyTimeout;
        this.server = FakeDownstreamServer.start("gated-downstream", this::customer,
                FakeDownstreamServer::respondInventory);
    }

    /** Listens on 127.0.0.1 and an ephemeral port; {@link #close()} stops it. */
    public static GatedDownstream start(int gate, Duration safetyTimeout) {
        return new GatedDownstream(gate, safetyTimeout);
    }

    public String baseUrl() {
        return this.server.baseUrl();
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
            FakeDownstreamServer.respond(exchange, 503, "{\"error\":\"gate not reached\"}");
            return;
        }
        FakeDownstreamServer.respondCustomer(exchange);
    }

    @Override
    public void close() {
        this.server.close();
    }
}
