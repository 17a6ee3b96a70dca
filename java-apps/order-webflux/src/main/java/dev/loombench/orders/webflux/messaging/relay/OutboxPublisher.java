package dev.loombench.orders.webflux.messaging.relay;

import java.util.List;

import reactor.core.publisher.Mono;

/** Publishes a claimed batch to the broker; completes only once the broker acknowledged every row, else fails. */
public interface OutboxPublisher {

    Mono<Void> publish(List<OutboxRow> rows);
}
