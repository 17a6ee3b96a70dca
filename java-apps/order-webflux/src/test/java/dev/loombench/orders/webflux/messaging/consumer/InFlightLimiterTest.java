package dev.loombench.orders.webflux.messaging.consumer;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

import static org.assertj.core.api.Assertions.assertThat;

/** The limiter on real threads: a subscriber beyond the limit waits, on its own thread, until a permit frees. */
class InFlightLimiterTest {

    @Test
    void subscriberBeyondTheLimitWaitsUntilAnEventEnds() throws InterruptedException {
        InFlightLimiter limiter = new InFlightLimiter(2);
        Sinks.Empty<Void> first = Sinks.empty();
        Disposable firstRun = limiter.limit(first.asMono()).subscribe();
        Disposable secondRun = limiter.limit(Sinks.<Void>empty().asMono()).subscribe();
        assertThat(limiter.inFlight()).isEqualTo(2);

        AtomicBoolean thirdStarted = new AtomicBoolean();
        Thread consumerThread = Thread.ofPlatform()
            .start(() -> limiter.limit(Mono.fromRunnable(() -> thirdStarted.set(true))).block());
        Awaitility.await().atMost(Duration.ofSeconds(10))
            .until(() -> consumerThread.getState() == Thread.State.WAITING);
        assertThat(thirdStarted).isFalse();

        first.tryEmitEmpty();
        consumerThread.join(Duration.ofSeconds(10));
        assertThat(thirdStarted).isTrue();
        assertThat(limiter.inFlight()).isEqualTo(1);

        secondRun.dispose();
        assertThat(limiter.inFlight()).as("a cancelled event gives its permit back").isZero();
        firstRun.dispose();
    }

    @Test
    void failedEventGivesItsPermitBack() {
        InFlightLimiter limiter = new InFlightLimiter(1);

        limiter.limit(Mono.error(new IllegalStateException("boom"))).onErrorResume((ex) -> Mono.empty()).block();

        assertThat(limiter.inFlight()).isZero();
    }
}
