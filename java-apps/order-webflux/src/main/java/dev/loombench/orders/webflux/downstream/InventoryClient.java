package dev.loombench.orders.webflux.downstream;

import reactor.core.publisher.Mono;

import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.client.WebClient;

import dev.loombench.orders.domain.error.DownstreamService;
import dev.loombench.orders.domain.inventory.Inventory;

/** {@code GET /inventory/{productId}} of the downstream service. */
@Component
public class InventoryClient {

    private final WebClient downstream;

    private final long delayMs;

    InventoryClient(WebClient downstreamWebClient, DownstreamProperties properties) {
        this.downstream = downstreamWebClient;
        this.delayMs = properties.delayMs();
    }

    /** Fails with {@code DownstreamFailedException(INVENTORY)} on any error status, timeout or empty body. */
    public Mono<Inventory> check(long productId) {
        return check(productId, this.delayMs);
    }

    /** The same call with another delay: the event consumer's ({@code ORDERS_CONSUMER_DELAY_MS}). */
    public Mono<Inventory> check(long productId, long delayMs) {
        return DownstreamCalls.expect(DownstreamService.INVENTORY,
                this.downstream.get()
                    .uri("/inventory/{productId}?delayMs={delayMs}", productId, delayMs)
                    .retrieve()
                    .bodyToMono(Inventory.class));
    }
}
