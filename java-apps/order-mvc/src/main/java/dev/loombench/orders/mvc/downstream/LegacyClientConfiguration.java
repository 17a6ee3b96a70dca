package dev.loombench.orders.mvc.downstream;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.loombench.orders.domain.customer.LegacyCustomerClient;
import dev.loombench.orders.mvc.downstream.DownstreamProperties;
import dev.loombench.orders.mvc.downstream.LegacyProperties;

/**
 * The shared domain {@link LegacyCustomerClient}: the same downstream and delay as the pooled clients, its own
 * {@code ORDERS_LEGACY_STRIPES} monitors, connect and read timeouts = {@code ORDERS_HTTP_CLIENT_RESPONSE_TIMEOUT_MS}.
 */
@Configuration(proxyBeanMethods = false)
class LegacyClientConfiguration {

    @Bean
    LegacyCustomerClient legacyCustomerClient(DownstreamProperties downstream, LegacyProperties legacy) {
        return new LegacyCustomerClient(downstream.baseUrl(), downstream.delayMs(), legacy.stripes(),
                downstream.responseTimeoutMs());
    }
}
