package dev.loombench.orders.mvc.downstream;

import org.springframework.boot.context.properties.ConfigurationProperties;

/** {@code ORDERS_LEGACY_STRIPES}: how many monitors the legacy customer client stripes its calls over. */
@ConfigurationProperties("orders.legacy")
public record LegacyProperties(int stripes) {
}
