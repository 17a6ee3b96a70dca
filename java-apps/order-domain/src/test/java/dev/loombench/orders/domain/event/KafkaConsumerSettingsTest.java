package dev.loombench.orders.domain.event;

import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

class KafkaConsumerSettingsTest {

    @Test
    void reportsTheListenersSettingsInOrderAndLeavesUnsetConsumerKeysNull() {
        Map<String, Object> config = Map.of("max.poll.records", 500, "client.id", "orders");

        Map<String, Object> report = KafkaConsumerSettings.of("order-consumer", config, "BATCH", false, 100);

        assertThat(report).containsExactly(entry("group.id", "order-consumer"), entry("max.poll.records", 500),
                entry("enable.auto.commit", null), entry("ackMode", "BATCH"), entry("asyncAcks", false),
                entry("pollTimeoutMs", 100L));
        assertThat(report.keySet()).containsExactly(KafkaConsumerSettings.KEYS);
    }
}
