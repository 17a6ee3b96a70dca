package dev.loombench.downstream.web;

import java.time.Duration;

import reactor.core.publisher.Mono;

import dev.loombench.orders.domain.error.InvalidRequestException;

/**
 * The artificial latency of a downstream call. {@link Mono#delay} parks nothing: a timer completes the response,
 * so thousands of concurrent delays cost no threads and this service never becomes the bottleneck.
 */
public record SimulatedDelay(long millis) {

    public static final String PARAMETER = "delayMs";

    /** An absent parameter means no delay; anything but a non-negative integer is the client's mistake. */
    public static SimulatedDelay parse(String raw) {
        if (raw == null) {
            return new SimulatedDelay(0);
        }
        if (raw.isEmpty() || raw.length() > 9 || !raw.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new InvalidRequestException(PARAMETER, "delayMs must be a non-negative integer");
        }
        return new SimulatedDelay(Long.parseLong(raw));
    }

    public <T> Mono<T> then(T value) {
        return (this.millis == 0) ? Mono.just(value) : Mono.delay(Duration.ofMillis(this.millis)).thenReturn(value);
    }
}
