package dev.loombench.orders.webflux.downstream;

import reactor.core.publisher.Mono;

import dev.loombench.orders.domain.error.DownstreamFailedException;
import dev.loombench.orders.domain.error.DownstreamService;

/** The one rule both clients share: whatever goes wrong downstream becomes the domain's 502. */
final class DownstreamCalls {

    private DownstreamCalls() {
    }

    static <T> Mono<T> expect(DownstreamService service, Mono<T> call) {
        return call
            .switchIfEmpty(Mono.error(() -> new IllegalStateException(service.serviceName() + " sent no body")))
            .onErrorMap((ex) -> new DownstreamFailedException(service, ex));
    }
}
