package dev.loombench.orders.webflux.messaging.consumer;

import java.time.Duration;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.context.SmartLifecycle;

/**
 * On shutdown, lets the events already in flight finish before the resources they need go. The listener containers
 * stop first (higher phases), so nothing new arrives; Reactor Netty's loops (ReactorResourceFactory, phase 0) and the
 * R2DBC pool (closed after every lifecycle) still work while this waits. Without it an event caught mid-way would fail
 * on a closed client, use up its retries and be dead-lettered although nothing was wrong with it. An event that
 * completes here may not get its acknowledgement through the stopped container: it is redelivered later and the
 * inbox absorbs it.
 */
public class ConsumerDrain implements SmartLifecycle {

    /** After the containers and the web server, before ReactorResourceFactory (0). */
    static final int PHASE = 1;

    static final Duration TIMEOUT = Duration.ofSeconds(30);

    private static final Log logger = LogFactory.getLog(ConsumerDrain.class);

    private final InFlightLimiter limiter;

    private volatile boolean running;

    public ConsumerDrain(InFlightLimiter limiter) {
        this.limiter = limiter;
    }

    @Override
    public void start() {
        this.running = true;
    }

    @Override
    public void stop() {
        this.running = false;
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (this.limiter.inFlight() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (this.limiter.inFlight() > 0) {
            logger.warn(this.limiter.inFlight() + " consumed events still in flight at shutdown; they are redelivered "
                    + "after the restart");
        }
    }

    @Override
    public boolean isRunning() {
        return this.running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
