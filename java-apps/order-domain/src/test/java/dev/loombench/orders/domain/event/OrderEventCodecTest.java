package dev.loombench.orders.domain.event;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class OrderEventCodecTest {

    private static final OrderCreated EVENT = new OrderCreated(
            UUID.fromString("6f1c2a3b-4d5e-4f60-8172-839405a6b7c8"), 1000000001L, 17, 342, 3, 4497,
            Instant.parse("2026-11-27T01:02:03.456789Z"));

    /** design.md, "The event on the wire": these bytes, this field order. */
    private static final String WIRE = "{\"eventId\":\"6f1c2a3b-4d5e-4f60-8172-839405a6b7c8\",\"type\":\"OrderCreated\","
            + "\"orderId\":1000000001,\"customerId\":17,\"productId\":342,\"quantity\":3,\"totalCents\":4497,"
            + "\"createdAt\":\"2026-11-27T01:02:03.456789Z\"}";

    @Test
    void writesTheExactWireForm() {
        assertThat(OrderEventCodec.toJson(EVENT)).isEqualTo(WIRE);
    }

    @Test
    void instantsKeepTheirPrecisionAndWholeSecondsHaveNoFraction() {
        OrderCreated whole = new OrderCreated(EVENT.eventId(), 1, 1, 1, 1, 100, Instant.parse("2026-01-01T00:00:00Z"));
        assertThat(OrderEventCodec.toJson(whole)).endsWith(",\"createdAt\":\"2026-01-01T00:00:00Z\"}");
        OrderCreated millis = new OrderCreated(EVENT.eventId(), 1, 1, 1, 1, 100, Instant.parse("2026-01-01T00:00:00.120Z"));
        assertThat(OrderEventCodec.toJson(millis)).endsWith(",\"createdAt\":\"2026-01-01T00:00:00.120Z\"}");
    }

    @Test
    void roundTrips() {
        assertThat(OrderEventCodec.parse(OrderEventCodec.toJson(EVENT))).isEqualTo(EVENT.toEvent());
        assertThat(OrderEventCodec.parse(WIRE.getBytes(StandardCharsets.UTF_8))).isEqualTo(EVENT.toEvent());
    }

    @Test
    void fieldOrderOnReadDoesNotMatterAndUnknownFieldsAreIgnored() {
        String reordered = "{\"createdAt\":\"2026-11-27T01:02:03.456789Z\",\"totalCents\":4497,\"quantity\":3,"
                + "\"productId\":342,\"customerId\":17,\"orderId\":1000000001,\"type\":\"OrderCreated\","
                + "\"eventId\":\"6f1c2a3b-4d5e-4f60-8172-839405a6b7c8\",\"schema\":2}";
        assertThat(OrderEventCodec.parse(reordered)).isEqualTo(EVENT.toEvent());
    }

    /** The lifecycle's later stages: the same bytes but {@code type}, read back with their stage. */
    @ParameterizedTest
    @CsvSource({ "OrderCreated, ORDER_CREATED, 1", "OrderPaid, ORDER_PAID, 2", "OrderShipped, ORDER_SHIPPED, 3" })
    void everyLifecycleTypeRoundTripsWithItsStage(String wireName, OrderEventType type, int stage) {
        String wire = WIRE.replace("\"type\":\"OrderCreated\"", "\"type\":\"" + wireName + "\"");
        OrderEvent event = OrderEventCodec.parse(wire);
        assertThat(event.type()).isEqualTo(type);
        assertThat(event.stage()).isEqualTo(stage);
        assertThat(event).isEqualTo(new OrderEvent(EVENT.eventId(), type, EVENT.orderId(), EVENT.customerId(),
                EVENT.productId(), EVENT.quantity(), EVENT.totalCents(), EVENT.createdAt()));
        assertThat(OrderEventCodec.toJson(event)).isEqualTo(wire);
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = { "   ", "not json", "{", "[]", "42", "null", "\"OrderCreated\"", WIRE + " trailing" })
    void unreadablePayloadsArePoison(String payload) {
        assertThatExceptionOfType(PoisonMessageException.class).isThrownBy(() -> OrderEventCodec.parse(payload));
    }

    @Test
    void nullAndEmptyBytesArePoison() {
        assertThatExceptionOfType(PoisonMessageException.class).isThrownBy(() -> OrderEventCodec.parse((byte[]) null));
        assertThatExceptionOfType(PoisonMessageException.class).isThrownBy(() -> OrderEventCodec.parse(new byte[0]));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "\"type\":\"OrderCreated\"      | \"type\":\"OrderCancelled\"     | type must be OrderCreated, OrderPaid or OrderShipped, was OrderCancelled",
            "\"type\":\"OrderCreated\"      | \"type\":\"orderPaid\"          | type must be OrderCreated, OrderPaid or OrderShipped, was orderPaid",
            "\"type\":\"OrderCreated\",     | ''                              | type is missing or not a string",
            "\"eventId\":\"6f1c2a3b-4d5e-4f60-8172-839405a6b7c8\" | \"eventId\":\"nope\" | eventId is not a UUID",
            "\"eventId\":\"6f1c2a3b-4d5e-4f60-8172-839405a6b7c8\" | \"eventId\":7    | eventId is missing or not a string",
            "\"createdAt\":\"2026-11-27T01:02:03.456789Z\" | \"createdAt\":\"2026-11-27\" | createdAt is not an ISO-8601 instant",
            "\"orderId\":1000000001         | \"orderId\":\"1000000001\"      | orderId is missing or not a non-negative integer",
            "\"orderId\":1000000001         | \"orderId\":-1                  | orderId is missing or not a non-negative integer",
            "\"customerId\":17              | \"customerId\":1.5              | customerId is missing or not a non-negative integer",
            "\"productId\":342              | \"productId\":null              | productId is missing or not a non-negative integer",
            "\"quantity\":3                 | \"quantity\":2147483648         | quantity is out of range",
            "\"totalCents\":4497            | \"totalCents\":99999999999999999999 | totalCents is missing or not a non-negative integer" })
    void malformedFieldsArePoisonNamingTheField(String valid, String broken, String reason) {
        String payload = WIRE.replace(valid, broken);
        assertThat(payload).isNotEqualTo(WIRE);
        assertThatExceptionOfType(PoisonMessageException.class).isThrownBy(() -> OrderEventCodec.parse(payload))
            .withMessage(reason);
    }

    @Test
    void eventIdIsReadFromAnyObjectThatCarriesOne() {
        assertThat(OrderEventCodec.eventIdOrNull(WIRE)).isEqualTo("6f1c2a3b-4d5e-4f60-8172-839405a6b7c8");
        assertThat(OrderEventCodec.eventIdOrNull("{\"eventId\":\"not-a-uuid\",\"type\":\"Other\"}"))
            .isEqualTo("not-a-uuid");
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = { "not json", "{", "[\"eventId\"]", "null", "{\"eventId\":7}", "{\"id\":\"x\"}" })
    void eventIdOfAnUnreadableMessageIsNull(String payload) {
        assertThat(OrderEventCodec.eventIdOrNull(payload)).isNull();
    }
}
