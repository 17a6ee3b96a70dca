package dev.loombench.downstream.inventory;

import reactor.core.publisher.Mono;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import dev.loombench.downstream.web.SimulatedDelay;
import dev.loombench.orders.domain.inventory.Inventory;
import dev.loombench.orders.domain.order.PositiveLongs;

@RestController
class InventoryController {

    @GetMapping("/inventory/{productId}")
    Mono<Inventory> inventory(@PathVariable String productId,
            @RequestParam(name = SimulatedDelay.PARAMETER, required = false) String delayMs) {
        long id = PositiveLongs.parse(productId, "productId", "product id must be a positive integer");
        return SimulatedDelay.parse(delayMs).then(StockLedger.check(id));
    }
}
