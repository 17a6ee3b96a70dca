package dev.loombench.orders.domain.order;

/** Unit prices: a pure function of the product id, shared with the harness's seed ({@code seed.unit_price_cents}). */
public final class Pricing {

    private Pricing() {
    }

    public static long unitPriceCents(long productId) {
        return 100 + Math.floorMod(productId * 37, 9900L);
    }
}
