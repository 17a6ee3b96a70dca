package dev.loombench.downstream.inventory;

import dev.loombench.orders.domain.inventory.Inventory;

/** Stock is a deterministic function of the product id, so every run and variant sees the same answers. */
final class StockLedger {

    private StockLedger() {
    }

    static Inventory check(long productId) {
        int stock = (int) Math.floorMod(productId * 7919L, 100L);
        return new Inventory(productId, stock > 0, stock);
    }
}
