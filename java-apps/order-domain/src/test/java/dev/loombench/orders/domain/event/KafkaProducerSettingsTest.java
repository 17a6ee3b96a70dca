package dev.loombench.orders.domain.event;

import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

class KafkaProducerSettingsTest {

    /** The set design.md documents, in its order; the apps' tests compare their live producers with PROPERTIES. */
    @Test
    void isTheDocumentedSet() {
        assertThat(KafkaProducerSettings.PROPERTIES).containsExactly(entry("acks", "all"),
                entry("enable.idempotence", true), entry("max.block.ms", 5000), entry("request.timeout.ms", 5000),
                entry("delivery.timeout.ms", 10000), entry("linger.ms", 5), entry("batch.size", 16384));
    }

    /** KafkaProducer refuses to start otherwise (ConfigException at construction). */
    @Test
    void deliveryTimeoutCoversLingerAndOneRequest() {
        int delivery = (Integer) KafkaProducerSettings.PROPERTIES.get("delivery.timeout.ms");
        int linger = (Integer) KafkaProducerSettings.PROPERTIES.get("linger.ms");
        int request = (Integer) KafkaProducerSettings.PROPERTIES.get("request.timeout.ms");
        assertThat(delivery).isGreaterThanOrEqualTo(linger + request);
    }

    @Test
    void effectiveReadsEveryDocumentedKeyAndNothingElse() {
        Map<String, Object> live = Map.of("acks", "1", "max.block.ms", 60000, "client.id", "relay");

        Map<String, Object> effective = KafkaProducerSettings.effective(live);

        assertThat(effective.keySet()).containsExactlyElementsOf(KafkaProducerSettings.PROPERTIES.keySet());
        assertThat(effective).containsEntry("acks", "1").containsEntry("max.block.ms", 60000)
            .containsEntry("linger.ms", null).doesNotContainKey("client.id");
    }
}
