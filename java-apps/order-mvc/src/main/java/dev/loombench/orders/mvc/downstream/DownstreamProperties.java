package dev.loombench.orders.mvc.downstream;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Where the customer and inventory services live and the delay each call asks them for
 * ({@code ORDERS_DOWNSTREAM_URL}, {@code ORDERS_DOWNSTREAM_DELAY_MS}).
 */
@ConfigurationProperties("orders.downstream")
public record DownstreamProperties(String url, long delayMs) {
}
