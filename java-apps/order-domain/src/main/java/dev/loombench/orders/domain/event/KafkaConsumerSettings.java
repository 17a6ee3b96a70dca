package dev.loombench.orders.domain.event;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What decides a Kafka listener's commits and poll sizes, as {@code runtime.messaging.kafkaConsumer} reports it
 * for every variant. These are set in each app's {@code application.properties}, not shared code, and a difference
 * between the variants here once cost webflux a commit per event (max.poll.records derived as 1 against mvc's 500):
 * it must be visible side by side, not found in a profile.
 */
public final class KafkaConsumerSettings {

    /** The report's keys, in order: consumer config keys as Kafka spells them, then the container's settings. */
    public static final String[] KEYS = {"group.id", "max.poll.records", "enable.auto.commit", "ackMode", "asyncAcks",
            "pollTimeoutMs"};

    private KafkaConsumerSettings() {
    }

    /**
     * The report of one live listener: {@code consumerConfig} is its consumer factory's configuration (a key
     * the app does not set is null: Kafka's default applies), the rest is read from its container.
     */
    public static Map<String, Object> of(String groupId, Map<String, Object> consumerConfig, String ackMode,
            boolean asyncAcks, long pollTimeoutMs) {
        Map<String, Object> report = new LinkedHashMap<>();
        report.put(KEYS[0], groupId);
        report.put(KEYS[1], consumerConfig.get("max.poll.records"));
        report.put(KEYS[2], consumerConfig.get("enable.auto.commit"));
        report.put(KEYS[3], ackMode);
        report.put(KEYS[4], asyncAcks);
        report.put(KEYS[5], pollTimeoutMs);
        return report;
    }
}
