package dev.loombench.orders.domain.runtime;

import java.util.Map;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import dev.loombench.orders.domain.customer.LegacyCustomerClient;
import dev.loombench.orders.domain.event.KafkaConsumerSettings;
import dev.loombench.orders.domain.event.KafkaProducerSettings;

/**
 * The {@code runtime} entry of {@code /actuator/info}: effective settings read back from live beans, one shape
 * for every variant so the harness can store them side by side. Parts that do not apply to a variant are null
 * (e.g. {@code tomcat} for WebFlux, {@code nettyIoWorkers} for MVC).
 * <p>
 * {@code liveThreads} counts the live platform threads of every thread pool the variant runs, by pool (see
 * {@link LiveThreads}), read when the info is requested: e.g. WebFlux's {@code reactor-http-*} event loops next to
 * r2dbc-postgresql's own {@code reactor-tcp-*} loops, or Tomcat's request threads next to Hikari's housekeeper.
 * <p>
 * {@code legacyClient} describes the {@link LegacyCustomerClient} of {@code GET /legacy/customers/{id}},
 * {@code messaging} the event-driven half ({@code ORDERS_BROKER} and the settings that go with it), and
 * {@code workload} what the request workloads ask of the downstream.
 */
@JsonPropertyOrder({"variant", "server", "virtualThreads", "tomcat", "nettyIoWorkers", "dbPool", "httpClient",
        "legacyClient", "jvm", "liveThreads", "messaging", "workload"})
public record RuntimeSettings(String variant, String server, boolean virtualThreads, TomcatSettings tomcat,
        Integer nettyIoWorkers, DbPoolSettings dbPool, HttpClientSettings httpClient,
        LegacyClientSettings legacyClient, JvmSettings jvm, Map<String, Integer> liveThreads,
        MessagingSettings messaging, WorkloadSettings workload) {

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

    /** The live legacy client: its library, stripe (monitor) count, and connect = read timeout. */
    @JsonPropertyOrder({"library", "stripes", "timeoutMs"})
    public record LegacyClientSettings(String library, int stripes, long timeoutMs) {

        public static LegacyClientSettings of(LegacyCustomerClient client) {
            return new LegacyClientSettings(LegacyCustomerClient.LIBRARY, client.stripes(), client.timeoutMs());
        }
    }

    /**
     * {@code broker} is {@code none}, {@code kafka} or {@code rabbitmq}. {@code partitions} applies to Kafka only,
     * {@code prefetch} to RabbitMQ only, {@code listenerConcurrency} to whichever broker is active (null for
     * {@code none}), {@code maxInFlight} to WebFlux only; a key that does not apply is null. The relay and consumer
     * settings are reported for every broker, {@code none} included ({@code relayAckTimeoutMs} is
     * {@link dev.loombench.orders.domain.event.RelaySettings#ACK_TIMEOUT} as the live relay holds it).
     * {@code relayDbPool} is the size of the relay's own database pool as the live pool reports it, 0 when the relay
     * shares the app's pool ({@code ORDERS_RELAY_DB_POOL}).
     * {@code ordering} is {@link dev.loombench.orders.domain.event.ConsumerOrdering}'s {@code per-key} or
     * {@code none}, as the consumer holds it. {@code kafkaProducer} is the live producer factory's value of every key of {@link KafkaProducerSettings#PROPERTIES} (Kafka only).
     * {@code kafkaConsumer} is the order listener's {@link KafkaConsumerSettings} as its live container and consumer
     * factory hold them (Kafka only).
     */
    @JsonPropertyOrder({"broker", "partitions", "listenerConcurrency", "prefetch", "maxInFlight", "relayBatchSize",
            "relayPollIntervalMs", "relayAckTimeoutMs", "relayDbPool", "consumerDelayMs", "maxAttempts", "backoffMs",
            "ordering", "kafkaProducer", "kafkaConsumer"})
    public record MessagingSettings(String broker, Integer partitions, Integer listenerConcurrency, Integer prefetch,
            Integer maxInFlight, int relayBatchSize, long relayPollIntervalMs, long relayAckTimeoutMs,
            int relayDbPool, long consumerDelayMs, int maxAttempts, long backoffMs, String ordering,
            Map<String, Object> kafkaProducer, Map<String, Object> kafkaConsumer) {
    }

    /**
     * The request workloads' settings, read from the live clients: {@code downstreamDelayMs}
     * ({@code ORDERS_DOWNSTREAM_DELAY_MS}) is the delay every downstream call of the order path asks for,
     * {@code legacyStripes} ({@code ORDERS_LEGACY_STRIPES}) the monitors of the legacy client.
     */
    @JsonPropertyOrder({"downstreamDelayMs", "legacyStripes"})
    public record WorkloadSettings(long downstreamDelayMs, int legacyStripes) {
    }
}
