package dev.loombench.orders.mvc.downstream;

import org.springframework.stereotype.Component;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.RestClientException;

import dev.loombench.orders.domain.error.DownstreamFailedException;
import dev.loombench.orders.domain.error.DownstreamService;
import dev.loombench.orders.domain.inventory.Inventory;

@Component
public class InventoryClient {

    private final RestClient downstream;

    private final long delayMs;

    InventoryClient(RestClient downstreamRestClient, DownstreamProperties properties) {
        this.downstream = downstreamRestClient;
        this.delayMs = properties.delayMs();
    }

    /** Blocks the calling thread (cheap when it is virtual) until the inventory service answers. */
    public Inventory check(long productId) {
        return check(productId, this.delayMs);
    }

    /** The same call with its own delay: the event consumer asks for {@code ORDERS_CONSUMER_DELAY_MS}. */
    public Inventory check(long productId, long delayMs) {
        try {
            Inventory inventory = this.downstream.get()
                .uri("/inventory/{productId}?delayMs={delayMs}", productId, delayMs)
                .retrieve()
                .body(Inventory.class);
            if (inventory == null) {
                throw new DownstreamFailedException(DownstreamService.INVENTORY, null);
            }
            return inventory;
        }
        catch (RestClientException ex) {
            throw new DownstreamFailedException(DownstreamService.INVENTORY, ex);
        }
    }
}
