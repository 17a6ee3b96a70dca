package dev.loombench.orders.mvc.runtime;

import java.sql.SQLException;
import java.util.concurrent.Executor;

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

import dev.loombench.orders.domain.runtime.JvmSettings;
import dev.loombench.orders.domain.runtime.RuntimeSettings;
import dev.loombench.orders.domain.runtime.RuntimeSettings.DbPoolSettings;
import dev.loombench.orders.domain.runtime.RuntimeSettings.HttpClientSettings;
import dev.loombench.orders.domain.runtime.RuntimeSettings.TomcatSettings;

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

    private final String variant;

    RuntimeInfoContributor(ApplicationContext context, DataSource dataSource,
            PoolingHttpClientConnectionManager connectionManager, CloseableHttpClient httpClient,
            @Value("${orders.variant}") String variant) {
        this.context = context;
        this.dataSource = dataSource;
        this.connectionManager = connectionManager;
        this.httpClient = httpClient;
        this.variant = variant;
    }

    @Override
    public void contribute(Info.Builder builder) {
        ProtocolHandler protocol = tomcatProtocol();
        builder.withDetail("runtime", new RuntimeSettings(this.variant, "tomcat", runsOnVirtualThreads(protocol),
                tomcat(protocol), null, dbPool(), httpClient(), JvmSettings.current()));
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
            String kind = "hikari " + LibraryVersions.maven(HikariDataSource.class, "com.zaxxer", "HikariCP");
            return new DbPoolSettings(kind, hikari.getMaximumPoolSize(), hikari.getMinimumIdle(), hikari.getConnectionTimeout());
        }
        catch (SQLException notHikari) {
            return new DbPoolSettings(this.dataSource.getClass().getName(), -1, -1, -1);
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
