package dev.loombench.orders.domain.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Waits for asynchronous work (relay, broker, consumer) to reach a state. The timeout is a safety net that turns a
 * hang into a failure naming what never happened; no test asserts on how long it took.
 */
public final class Await {

    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    private Await() {
    }

    public static void until(String what, BooleanSupplier condition) {
        until(what, DEFAULT_TIMEOUT, condition);
    }

    public static void until(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Still waiting after " + timeout.toSeconds() + " s for: " + what);
            }
            try {
                Thread.sleep(50);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new AssertionError("Interrupted while waiting for: " + what, ex);
            }
        }
    }
}
