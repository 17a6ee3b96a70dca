import java.util.ArrayList;
import java.util.List;

/**
 * Test-only workload for harness.jfr: virtual threads that sleep while holding a monitor.
 *
 * <p>On JDK 21 a virtual thread that parks inside {@code synchronized} pins its carrier, and JFR
 * records a {@code jdk.VirtualThreadPinned} event per sleep; from JDK 24 (JEP 491) it unmounts
 * and there are none. Half the threads use a {@code synchronized} block, half a {@code synchronized}
 * method, because a JFR frame can only reveal the latter. Each thread locks its own monitor: a
 * shared one would serialise the sleeps on every JDK and measure contention, not pinning.
 * It also allocates, so the GC and allocation events have something to report, and spins on the CPU in
 * {@code spin}, so execution samples and the JIT have something to report.
 *
 * <p>Arguments: thread count (default 200), sleep in milliseconds (default 50).
 * Run with {@code -Djdk.virtualThreadScheduler.parallelism=2} and a small heap.
 */
public final class PinningWorkload {
    private static volatile Object sink;

    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        long sleepMs = args.length > 1 ? Long.parseLong(args[1]) : 50L;
        long started = System.nanoTime();
        List<Thread> running = new ArrayList<>(threads);
        for (int i = 0; i < threads; i++) {
            Runnable task = i % 2 == 0
                    ? () -> sleepInBlock(new Object(), sleepMs)
                    : () -> new Monitor().sleepInMethod(sleepMs);
            running.add(Thread.ofVirtual().name("pinning-" + i).start(task));
        }
        for (Thread thread : running) {
            thread.join();
        }
        long elapsedMs = (System.nanoTime() - started) / 1_000_000L;
        allocate();
        sink = spin(1_500L);
        System.out.println("PinningWorkload threads=" + threads + " sleepMs=" + sleepMs + " elapsedMs=" + elapsedMs);
    }

    // Thread.sleep is called right here (not in a helper) so this method is the first frame
    // outside the JDK in each pinned event's stack.
    static void sleepInBlock(Object monitor, long sleepMs) {
        synchronized (monitor) {
            try {
                Thread.sleep(sleepMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    static final class Monitor {
        synchronized void sleepInMethod(long sleepMs) {
            try {
                Thread.sleep(sleepMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // Pure CPU in one method (a linear congruential generator) for at least minMs: many 10 ms samples,
    // and longer than a second so the once-a-second jdk.CompilerStatistics is read at least once.
    static long spin(long minMs) {
        long x = 1L;
        long until = System.nanoTime() + minMs * 1_000_000L;
        while (System.nanoTime() < until) {
            for (int i = 0; i < 10_000_000; i++) {
                x = x * 6364136223846793005L + 1442695040888963407L;
            }
        }
        return x;
    }

    // Short-lived garbage for a few young collections and allocation samples under a small heap.
    static void allocate() {
        for (int i = 0; i < 2_000; i++) {
            sink = new byte[64 * 1024];
        }
    }
}
