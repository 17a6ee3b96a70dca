package dev.loombench.orders.mvc.runtime;

import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.Predicate;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import org.apache.catalina.connector.Connector;
import org.apache.coyote.AbstractProtocol;
import org.apache.coyote.ProtocolHandler;
import org.apache.hc.client5.http.config.Configurable;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.core5.util.Timeout;
import org.apache.hc.core5.util.VersionInfo;
import org.apache.tomcat.util.threads.VirtualThreadExecutor;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.actuate.info.Info;
import org.springframework.boot.actuate.info.InfoContributor;
import org.springframework.boot.tomcat.TomcatWebServer;
import org.springframework.boot.web.server.WebServer;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ApplicationContext;
import org.springframework.stereotype.Component;

import dev.loombench.orders.domain.customer.LegacyCustomerClient;
import dev.loombench.orders.domain.runtime.JvmSettings;
import dev.loombench.orders.domain.runtime.LiveThreads;
import dev.loombench.orders.domain.runtime.RuntimeSettings.DbPoolSettings;
import dev.loombench.orders.domain.runtime.RuntimeSettings.HttpClientSettings;
import dev.loombench.orders.domain.runtime.RuntimeSettings.LegacyClientSettings;
import dev.loombench.orders.domain.runtime.RuntimeSettings.TomcatSettings;
import dev.loombench.orders.domain.runtime.RuntimeSettings.WorkloadSettings;
import dev.loombench.orders.domain.runtime.RuntimeSettings;
import dev.loombench.orders.mvc.downstream.CustomerClient;

/**
 * {@code /actuator/info} → {@code runtime}: what the live beans actually run with, read at request time, so a
 * property that was ignored or overridden shows up as a difference in the harness manifest.
 */
@Component
class RuntimeInfoContributor implements InfoContributor {

    private final ApplicationContext context;

    private final DataSource dataSource;

    private final PoolingHttpClientConnectionManager connectionManager;

    private final CloseableHttpClient httpClient;

    private final LegacyCustomerClient legacyClient;

    private final CustomerClient customerClient;

    private final MessagingInfo messaging;

    private final String variant;

    RuntimeInfoContributor(ApplicationContext context, DataSource dataSource,
            PoolingHttpClientConnectionManager connectionManager, CloseableHttpClient httpClient,
            LegacyCustomerClient legacyClient, CustomerClient customerClient, MessagingInfo messaging,
            @Value("${orders.variant}") String variant) {
        this.context = context;
        this.dataSource = dataSource;
        this.connectionManager = connectionManager;
        this.httpClient = httpClient;
        this.legacyClient = legacyClient;
        this.customerClient = customerClient;
        this.messaging = messaging;
        this.variant = variant;
    }

    @Override
    public void contribute(Info.Builder builder) {
        ProtocolHandler protocol = tomcatProtocol();
        builder.withDetail("runtime", new RuntimeSettings(this.variant, "tomcat", runsOnVirtualThreads(protocol),
                tomcat(protocol), null, dbPool(), httpClient(), LegacyClientSettings.of(this.legacyClient),
                JvmSettings.current(), liveThreads(protocol), this.messaging.read(),
                new WorkloadSettings(this.customerClient.delayMs(), this.legacyClient.stripes())));
    }

    private ProtocolHandler tomcatProtocol() {
        if (this.context instanceof WebServerApplicationContext webContext) {
            WebServer server = webContext.getWebServer();
            if (server instanceof TomcatWebServer tomcat) {
                Connector connector = tomcat.getTomcat().getConnector();
                return connector.getProtocolHandler();
            }
        }
        return null;
    }

    private static boolean runsOnVirtualThreads(ProtocolHandler protocol) {
        return protocol != null && protocol.getExecutor() instanceof VirtualThreadExecutor;
    }

    /** With an external executor (virtual threads) Tomcat reports maxThreads as -1: that is the effective value. */
    private static TomcatSettings tomcat(ProtocolHandler protocol) {
        if (!(protocol instanceof AbstractProtocol<?> tomcat)) {
            return null;
        }
        Executor executor = tomcat.getExecutor();
        return new TomcatSettings(tomcat.getMaxThreads(), tomcat.getMinSpareThreads(), tomcat.getMaxConnections(),
                tomcat.getAcceptCount(), (executor != null) ? executor.getClass().getName() : null);
    }

    private DbPoolSettings dbPool() {
        try {
            HikariDataSource hikari = this.dataSource.unwrap(HikariDataSource.class);
            String kind = "hikari " + LibraryVersion.maven(HikariDataSource.class, "com.zaxxer", "HikariCP");
            return new DbPoolSettings(kind, hikari.getMaximumPoolSize(), hikari.getMinimumIdle(), hikari.getConnectionTimeout());
        }
        catch (SQLException notHikari) {
            return new DbPoolSettings(this.dataSource.getClass().getName(), -1, -1, -1);
        }
    }

    /**
     * Tomcat's request threads (none with virtual threads: those are not listed, their carriers are), its poller
     * and acceptor, Hikari's background threads (named after the pool), and the virtual-thread carriers. Apache
     * HttpClient's classic pool runs no threads of its own. With a broker, its listener and client threads and the
     * relay's scheduler follow.
     */
    private Map<String, Integer> liveThreads(ProtocolHandler protocol) {
        String pool = hikariPoolName();
        String connector = connectorThreadPrefix(protocol);
        Map<String, Predicate<Thread>> pools = new LinkedHashMap<>();
        pools.put("tomcat-exec", LiveThreads.namedStartingWith(connector + "-exec-"));
        pools.put("tomcat-poller", LiveThreads.namedStartingWith(connector + "-Poller"));
        pools.put("tomcat-acceptor", LiveThreads.namedStartingWith(connector + "-Acceptor"));
        // HikariCP 7 names them "<pool>:housekeeper" etc.; they exist once the pool has started (first query).
        pools.put("hikari-housekeeper", LiveThreads.namedStartingWith(pool + ":housekeeper"));
        pools.put("hikari-connection-adder", LiveThreads.namedStartingWith(pool + ":connection-adder"));
        pools.put("hikari-connection-closer", LiveThreads.namedStartingWith(pool + ":connection-closer"));
        pools.put("virtual-thread-carriers",
                (thread) -> "jdk.internal.misc.CarrierThread".equals(thread.getClass().getName()));
        pools.putAll(this.messaging.liveThreadPools());
        return LiveThreads.count(pools);
    }

    /**
     * Tomcat names its threads after this connector, e.g. {@code http-nio-127.0.0.1-8080-exec-1}, so only this
     * server's threads are counted even when other servers share the JVM (as cached test contexts do).
     * {@code getName()} is the JMX-quoted form of that name; on port 0 (tests) the threads were named
     * {@code http-nio-127.0.0.1-auto-1} before the port was bound, and {@code getName()} appends the bound port.
     */
    private static String connectorThreadPrefix(ProtocolHandler protocol) {
        if (protocol instanceof AbstractProtocol<?> tomcat) {
            return tomcat.getName().replace("\"", "").replaceFirst("(-auto-\\d+)-\\d+$", "$1");
        }
        return "http-";
    }

    private String hikariPoolName() {
        try {
            return this.dataSource.unwrap(HikariDataSource.class).getPoolName();
        }
        catch (SQLException notHikari) {
            return "HikariPool";
        }
    }

    private HttpClientSettings httpClient() {
        VersionInfo version = VersionInfo.loadVersionInfo("org.apache.hc.client5",
                CloseableHttpClient.class.getClassLoader());
        RequestConfig requests = (this.httpClient instanceof Configurable configurable) ? configurable.getConfig()
                : RequestConfig.DEFAULT;
        return new HttpClientSettings(
                "apache-httpclient5 " + ((version != null) ? version.getRelease() : "unknown"),
                this.connectionManager.getMaxTotal(), this.connectionManager.getDefaultMaxPerRoute(),
                millis(requests.getConnectionRequestTimeout()), millis(requests.getResponseTimeout()));
    }

    private static long millis(Timeout timeout) {
        return (timeout != null) ? timeout.toMilliseconds() : -1;
    }
}
