package dev.loombench.orders.mvc.downstream;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Where the customer and inventory services live, the delay each call asks them for, and the limits of the
 * HTTP connection pool in front of them ({@code ORDERS_DOWNSTREAM_*}, {@code ORDERS_HTTP_CLIENT_*}).
 */
@ConfigurationProperties("orders.downstream")
public record DownstreamProperties(String baseUrl, long delayMs, int maxConnections, long acquireTimeoutMs,
        long responseTimeoutMs) {
}
