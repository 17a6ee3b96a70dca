package dev.loombench.orders.domain.event;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RelaySettingsTest {

    /** Otherwise a batch could be rolled back while Kafka might still deliver it: a needless duplicate. */
    @Test
    void ackTimeoutOutlastsTheKafkaProducersDeliveryTimeout() {
        int delivery = (Integer) KafkaProducerSettings.PROPERTIES.get("delivery.timeout.ms");
        assertThat(RelaySettings.ACK_TIMEOUT.toMillis()).isGreaterThan(delivery);
    }
}
