package dev.loombench.orders.domain.order;

import java.time.Instant;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import dev.loombench.orders.domain.event.OrderEventCodec;
import dev.loombench.orders.domain.testing.ContractFixtures;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

class CreatedOrderTest {

    private static final UUID EVENT_ID = UUID.fromString("0b7e6d1c-2f3a-4b5c-9d8e-7f6a5b4c3d2e");

    private static final NewOrder FIXTURE_ORDER = NewOrder.parse(ContractFixtures.NEW_ORDER_BODY);

    @Test
    void createdAtIsTruncatedToPostgresMicroseconds() {
        CreatedOrder order = CreatedOrder.of(1000000001L, FIXTURE_ORDER, Instant.parse("2026-11-27T01:02:03.456789123Z"),
                EVENT_ID);
        assertThat(order.createdAt()).isEqualTo(Instant.parse("2026-11-27T01:02:03.456789Z"));
        assertThat(order.status()).isEqualTo("CREATED");
        assertThat(order.totalCents()).isEqualTo(8562);
    }

    @Test
    void bodyAndEventMatchTheGoldenTemplates() {
        Instant now = Instant.parse("2026-11-27T01:02:03.456789Z");
        CreatedOrder order = CreatedOrder.of(1000000001L, FIXTURE_ORDER, now, EVENT_ID);
        assertThat(JsonMapper.builder().build().writeValueAsString(order)).isEqualTo(
                ContractFixtures.createdOrder(ContractFixtures.CREATED_ORDER, 1000000001L, now, EVENT_ID));
        assertThat(OrderEventCodec.toJson(order.event())).isEqualTo(
                ContractFixtures.createdOrder(ContractFixtures.ORDER_CREATED_EVENT, 1000000001L, now, EVENT_ID));
    }
}
