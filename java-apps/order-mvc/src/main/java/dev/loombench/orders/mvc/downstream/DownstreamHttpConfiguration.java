package dev.loombench.orders.mvc.downstream;

import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.util.Timeout;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.client.HttpComponentsClientHttpRequestFactory;
import org.springframework.web.client.RestClient;


/**
 * One explicit Apache HttpClient 5 pool for both downstream services (same host, so one route): its size is a
 * scenario parameter, not a library default, and the runtime report reads it back from these beans.
 */
@Configuration(proxyBeanMethods = false)
class DownstreamHttpConfiguration {

    @Bean(destroyMethod = "close")
    PoolingHttpClientConnectionManager downstreamConnectionManager(HttpClientProperties properties) {
        return PoolingHttpClientConnectionManagerBuilder.create()
            .setMaxConnTotal(properties.maxConnections())
            .setMaxConnPerRoute(properties.maxConnections())
            .build();
    }

    @Bean(destroyMethod = "close")
    CloseableHttpClient downstreamHttpClient(PoolingHttpClientConnectionManager downstreamConnectionManager,
            HttpClientProperties properties) {
        RequestConfig requests = RequestConfig.custom()
            .setConnectionRequestTimeout(Timeout.ofMilliseconds(properties.acquireTimeoutMs()))
            .setResponseTimeout(Timeout.ofMilliseconds(properties.responseTimeoutMs()))
            .build();
        return HttpClients.custom()
            .setConnectionManager(downstreamConnectionManager)
            .setDefaultRequestConfig(requests)
            // A silent retry would hide a failed call behind extra latency; failures must surface as 502.
            .disableAutomaticRetries()
            .disableCookieManagement()
            .disableRedirectHandling()
            .build();
    }

    /** Built from Boot's builder so {@code http.client.requests} metrics are recorded. */
    @Bean
    RestClient downstreamRestClient(RestClient.Builder builder, CloseableHttpClient downstreamHttpClient,
            DownstreamProperties properties) {
        return builder.clone()
            .requestFactory(new HttpComponentsClientHttpRequestFactory(downstreamHttpClient))
            .baseUrl(properties.url())
            .build();
    }
}
