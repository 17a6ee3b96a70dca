package dev.loombench.orders.webflux.downstream;

import java.time.Duration;

import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.client.ReactorResourceFactory;
import org.springframework.http.client.reactive.ClientHttpConnector;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * One explicit Reactor Netty pool for both downstream services. Boot's auto-configured {@link WebClient.Builder}
 * picks up the {@link ClientHttpConnector} bean below, so the builder keeps its codecs and http.client.requests
 * observation while every request goes through this pool.
 */
@Configuration(proxyBeanMethods = false)
class DownstreamHttpConfiguration {

    static final String POOL_NAME = "downstream";

    /**
     * Pending acquires are unbounded on purpose: Reactor's default (2 × max connections) rejects requests beyond
     * it at once, which under load would show up as errors only this variant has. Waiting is bounded by the
     * acquire timeout instead, as with Apache HttpClient in order-mvc. Reactor Netty keeps one pool per remote
     * address, so the limit is per route; with a single downstream host it is also the total.
     */
    @Bean(destroyMethod = "dispose")
    ConnectionProvider downstreamConnectionProvider(HttpClientProperties settings) {
        return ConnectionProvider.builder(POOL_NAME)
            .maxConnections(settings.maxConnections())
            .pendingAcquireMaxCount(-1)
            .pendingAcquireTimeout(Duration.ofMillis(settings.acquireTimeoutMs()))
            // reactor.netty.connection.provider.* gauges: pending acquires are the client-side saturation signal.
            .metrics(true)
            .build();
    }

    /** Runs on the same event loops as the Netty server (Boot's ReactorResourceFactory), like the default does. */
    @Bean
    HttpClient downstreamHttpClient(ConnectionProvider downstreamConnectionProvider,
            ReactorResourceFactory reactorResourceFactory, HttpClientProperties settings) {
        return HttpClient.create(downstreamConnectionProvider)
            .runOn(reactorResourceFactory.getLoopResources())
            .responseTimeout(Duration.ofMillis(settings.responseTimeoutMs()));
    }

    @Bean
    ClientHttpConnector downstreamClientHttpConnector(HttpClient downstreamHttpClient) {
        return new ReactorClientHttpConnector(downstreamHttpClient);
    }

    @Bean
    WebClient downstreamWebClient(WebClient.Builder builder, DownstreamProperties downstream) {
        return builder.baseUrl(downstream.url()).build();
    }
}
