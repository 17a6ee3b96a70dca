package dev.loombench.orders.webflux.runtime;

import java.time.Duration;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.spi.ConnectionFactory;
import reactor.core.scheduler.Schedulers;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.actuate.info.Info;
import org.springframework.boot.actuate.info.InfoContributor;
import org.springframework.boot.reactor.netty.NettyWebServer;
import org.springframework.boot.thread.Threading;
import org.springframework.boot.web.server.WebServer;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ApplicationContext;
import org.springframework.core.env.Environment;
import org.springframework.http.client.ReactorResourceFactory;
import org.springframework.stereotype.Component;

import dev.loombench.orders.domain.customer.LegacyCustomerClient;
import dev.loombench.orders.domain.runtime.JvmSettings;
import dev.loombench.orders.domain.runtime.RuntimeSettings;
import dev.loombench.orders.domain.runtime.RuntimeSettings.DbPoolSettings;
import dev.loombench.orders.domain.runtime.RuntimeSettings.HttpClientSettings;
import dev.loombench.orders.domain.runtime.RuntimeSettings.LegacyClientSettings;
import dev.loombench.orders.domain.runtime.RuntimeSettings.MessagingSettings;
import dev.loombench.orders.domain.runtime.RuntimeSettings.WorkloadSettings;
import dev.loombench.orders.webflux.downstream.CustomerClient;
import dev.loombench.orders.webflux.downstream.HttpClientProperties;
import dev.loombench.orders.webflux.messaging.BrokerSettings;
import dev.loombench.orders.webflux.messaging.MessagingProperties;
import dev.loombench.orders.webflux.messaging.consumer.InFlightLimiter;
import dev.loombench.orders.webflux.messaging.consumer.OrderEventProcessor;
import dev.loombench.orders.webflux.messaging.relay.OutboxRelay;
import dev.loombench.orders.webflux.messaging.relay.RelayDatabase;

/**
 * {@code /actuator/info} → {@code runtime}: what this process really runs with, read from the live server, pools,
 * JVM and messaging beans at request time, so the harness can check it against what it asked for.
 */
@Component
class RuntimeInfoContributor implements InfoContributor {

    static final String KEY = "runtime";

    private final String variant;

    private final ApplicationContext context;

    private final Environment environment;

    private final ObjectProvider<ReactorResourceFactory> reactorResources;

    private final ConnectionFactory connectionFactory;

    private final ConnectionProvider downstreamConnectionProvider;

    private final HttpClient downstreamHttpClient;

    private final HttpClientProperties httpClientProperties;

    private final LegacyCustomerClient legacyClient;

    private final CustomerClient customerClient;

    private final MessagingProperties messagingProperties;

    private final ObjectProvider<OutboxRelay> relay;

    private final ObjectProvider<RelayDatabase> relayDatabase;

    private final ObjectProvider<InFlightLimiter> limiter;

    private final ObjectProvider<OrderEventProcessor> processor;

    private final ObjectProvider<BrokerSettings> brokerSettings;

    RuntimeInfoContributor(@Value("${orders.variant}") String variant, ApplicationContext context,
            Environment environment, ObjectProvider<ReactorResourceFactory> reactorResources,
            ConnectionFactory connectionFactory, ConnectionProvider downstreamConnectionProvider,
            HttpClient downstreamHttpClient, HttpClientProperties httpClientProperties,
            LegacyCustomerClient legacyClient, CustomerClient customerClient, MessagingProperties messagingProperties,
            ObjectProvider<OutboxRelay> relay, ObjectProvider<RelayDatabase> relayDatabase,
            ObjectProvider<InFlightLimiter> limiter,
            ObjectProvider<OrderEventProcessor> processor, ObjectProvider<BrokerSettings> brokerSettings) {
        this.variant = variant;
        this.context = context;
        this.environment = environment;
        this.reactorResources = reactorResources;
        this.connectionFactory = connectionFactory;
        this.downstreamConnectionProvider = downstreamConnectionProvider;
        this.downstreamHttpClient = downstreamHttpClient;
        this.httpClientProperties = httpClientProperties;
        this.legacyClient = legacyClient;
        this.customerClient = customerClient;
        this.messagingProperties = messagingProperties;
        this.relay = relay;
        this.relayDatabase = relayDatabase;
        this.limiter = limiter;
        this.processor = processor;
        this.brokerSettings = brokerSettings;
    }

    @Override
    public void contribute(Info.Builder builder) {
        builder.withDetail(KEY, settings());
    }

    RuntimeSettings settings() {
        return new RuntimeSettings(this.variant, server(), virtualThreads(), null,
                NettyEventLoops.ioWorkers(this.reactorResources.getIfAvailable()), dbPool(), httpClient(),
                LegacyClientSettings.of(this.legacyClient), JvmSettings.current(), ThreadPools.live(), messaging(),
                new WorkloadSettings(this.customerClient.delayMs(), this.legacyClient.stripes()));
    }

    private MessagingSettings messaging() {
        return MessagingInfo.of(this.messagingProperties, this.relay.getIfAvailable(),
                this.relayDatabase.getIfAvailable(), this.limiter.getIfAvailable(),
                this.processor.getIfAvailable(), this.brokerSettings.getIfAvailable());
    }

    private String server() {
        WebServer webServer = (this.context instanceof WebServerApplicationContext web) ? web.getWebServer() : null;
        if (webServer == null) {
            return "none";
        }
        return (webServer instanceof NettyWebServer) ? "netty" : webServer.getClass().getSimpleName();
    }

    /** On WebFlux the only thing virtual threads would change is Reactor's boundedElastic scheduler. */
    private boolean virtualThreads() {
        return Threading.VIRTUAL.isActive(this.environment) || Schedulers.DEFAULT_BOUNDED_ELASTIC_ON_VIRTUAL_THREADS;
    }

    private DbPoolSettings dbPool() {
        if (this.connectionFactory instanceof ConnectionPool pool) {
            return ConnectionPoolSettings.of(pool);
        }
        // Unpooled: one connection per query, which would make this variant incomparable; report it plainly.
        return new DbPoolSettings("none", -1, -1, -1);
    }

    /**
     * Max connections and response timeout come from the live provider and client. Reactor Netty exposes no
     * getter for the pending-acquire timeout, so that one is the value the provider was built with. The limit
     * is per remote address, and the downstream is one address, so it is both the total and the per-route limit.
     */
    private HttpClientSettings httpClient() {
        int maxConnections = this.downstreamConnectionProvider.maxConnections();
        Duration responseTimeout = this.downstreamHttpClient.configuration().responseTimeout();
        long responseTimeoutMs = (responseTimeout != null) ? responseTimeout.toMillis() : -1;
        return new HttpClientSettings(LibraryVersion.of("reactor-netty", HttpClient.class), maxConnections,
                maxConnections, this.httpClientProperties.acquireTimeoutMs(), responseTimeoutMs);
    }
}
