package dev.loombench.orders.domain.runtime;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * The {@code runtime} entry of {@code /actuator/info}: effective settings read back from live beans, one shape
 * for every variant so the harness can store them side by side. Parts that do not apply to a variant are null
 * (e.g. {@code tomcat} for WebFlux, {@code nettyIoWorkers} for MVC).
 */
@JsonPropertyOrder({"variant", "server", "virtualThreads", "tomcat", "nettyIoWorkers", "dbPool", "httpClient", "jvm"})
public record RuntimeSettings(String variant, String server, boolean virtualThreads, TomcatSettings tomcat,
        Integer nettyIoWorkers, DbPoolSettings dbPool, HttpClientSettings httpClient, JvmSettings jvm) {

    /** {@code executor} names the class actually running requests (a virtual-thread executor or a pool). */
    @JsonPropertyOrder({"maxThreads", "minSpareThreads", "maxConnections", "acceptCount", "executor"})
    public record TomcatSettings(int maxThreads, int minSpareThreads, int maxConnections, int acceptCount,
            String executor) {
    }

    @JsonPropertyOrder({"kind", "maxSize", "minIdle", "acquireTimeoutMs"})
    public record DbPoolSettings(String kind, int maxSize, int minIdle, long acquireTimeoutMs) {
    }

    @JsonPropertyOrder({"library", "maxConnections", "maxConnectionsPerRoute", "acquireTimeoutMs",
            "responseTimeoutMs"})
    public record HttpClientSettings(String library, int maxConnections, int maxConnectionsPerRoute,
            long acquireTimeoutMs, long responseTimeoutMs) {
    }
}
