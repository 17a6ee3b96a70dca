package dev.loombench.orders.mvc.downstream;

import org.springframework.boot.context.properties.ConfigurationProperties;

/** The {@code ORDERS_HTTP_CLIENT_*} settings of the downstream connection pool. */
@ConfigurationProperties("orders.http-client")
public record HttpClientProperties(int maxConnections, long acquireTimeoutMs, long responseTimeoutMs) {
}
