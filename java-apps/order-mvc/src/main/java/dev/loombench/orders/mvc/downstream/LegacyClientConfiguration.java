package dev.loombench.orders.mvc.downstream;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.loombench.orders.domain.customer.LegacyCustomerClient;

/**
 * The shared domain {@link LegacyCustomerClient}: the same downstream and delay as the pooled clients, its own
 * {@code ORDERS_LEGACY_STRIPES} monitors, connect and read timeouts = {@code ORDERS_HTTP_CLIENT_RESPONSE_TIMEOUT_MS}.
 */
@Configuration(proxyBeanMethods = false)
class LegacyClientConfiguration {

    @Bean
    LegacyCustomerClient legacyCustomerClient(DownstreamProperties downstream, HttpClientProperties httpClient,
            LegacyProperties legacy) {
        return new LegacyCustomerClient(downstream.url(), downstream.delayMs(), legacy.stripes(),
                httpClient.responseTimeoutMs());
    }
}
