package dev.loombench.orders.domain.event;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one set of Kafka producer settings every variant's relay runs with (design.md, "Relay"). Both apps apply it
 * to their producer factory and report the live values under {@code runtime.messaging.kafkaProducer}, so a variant
 * whose relay waits longer for a broker that is away, or batches differently, cannot go unnoticed.
 * <p>
 * Short timeouts on purpose: while the broker is down a relay poll fails within seconds (instead of the client's
 * 60 s / 120 s defaults) and its outbox transaction is rolled back and retried, rather than holding its rows.
 * {@code delivery.timeout.ms} must be at least {@code linger.ms + request.timeout.ms}, or the client refuses to start.
 */
public final class KafkaProducerSettings {

    /** Producer config key → value, in the order {@code /actuator/info} reports them. */
    public static final Map<String, Object> PROPERTIES = properties();

    private KafkaProducerSettings() {
    }

    private static Map<String, Object> properties() {
        Map<String, Object> properties = new LinkedHashMap<>();
        // Every record acknowledged by all in-sync replicas; no duplicates from the producer's own retries.
        properties.put("acks", "all");
        properties.put("enable.idempotence", true);
        // send() waits at most this long for metadata or buffer space.
        properties.put("max.block.ms", 5000);
        properties.put("request.timeout.ms", 5000);
        properties.put("delivery.timeout.ms", 10000);
        // Kafka 4's own defaults, stated so that a client upgrade cannot change batching behind the benchmark.
        properties.put("linger.ms", 5);
        properties.put("batch.size", 16384);
        return Collections.unmodifiableMap(properties);
    }

    /** The entries of {@code liveConfig} (a producer factory's configuration) for the keys of {@link #PROPERTIES}. */
    public static Map<String, Object> effective(Map<String, Object> liveConfig) {
        Map<String, Object> effective = new LinkedHashMap<>();
        for (String key : PROPERTIES.keySet()) {
            effective.put(key, liveConfig.get(key));
        }
        return effective;
    }
}
