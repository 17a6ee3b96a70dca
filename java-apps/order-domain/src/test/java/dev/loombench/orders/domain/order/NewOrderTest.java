package dev.loombench.orders.domain.order;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

import dev.loombench.orders.domain.error.ApiError;
import dev.loombench.orders.domain.error.InvalidRequestException;
import dev.loombench.orders.domain.testing.ContractFixtures;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/** Every 400 of the {@code POST /orders} table in design.md, and what is accepted. */
class NewOrderTest {

    @Test
    void parsesAValidBody() {
        assertThat(NewOrder.parse("{\"customerId\":17,\"productId\":342,\"quantity\":3}"))
            .isEqualTo(new NewOrder(17, 342, 3));
    }

    @Test
    void fieldOrderAndWhitespaceDoNotMatter() {
        assertThat(NewOrder.parse(" {\n \"quantity\" : 100, \"productId\":1,\"customerId\":9223372036854775807}\n"))
            .isEqualTo(new NewOrder(Long.MAX_VALUE, 1, 100));
    }

    @Test
    void totalIsQuantityTimesTheSeedsUnitPrice() {
        // 100 + (342 × 37) % 9900 = 2854, harness/infra/seed.py's unit_price_cents.
        assertThat(Pricing.unitPriceCents(342)).isEqualTo(2854);
        assertThat(new NewOrder(17, 342, 3).totalCents()).isEqualTo(3 * 2854);
        assertThat(Pricing.unitPriceCents(9900 * 3)).isEqualTo(100);
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = { " ", "not json", "{", "{\"customerId\":1", "[]", "[1,2]", "1", "\"text\"", "null",
            "true", "{\"customerId\":17,\"productId\":342,\"quantity\":3} trailing",
            "{\"customerId\":17,\"productId\":342,\"quantity\":3}{}" })
    void notAJsonObjectNamesTheBody(String body) {
        assertRejected(body, "body", "body must be a JSON object");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"customerId\":17,\"productId\":342,\"quantity\":3,\"price\":1} | price",
            "{\"foo\":1}                                                         | foo",
            "{\"customerid\":17,\"productId\":342,\"quantity\":3}                | customerid",
            // Unknown fields are reported before missing or invalid ones.
            "{\"customerId\":\"x\",\"extra\":null}                               | extra" })
    void unknownFieldIsNamed(String body, String field) {
        assertRejected(body, field, "unknown field");
    }

    @ParameterizedTest
    @ValueSource(strings = { "{\"productId\":342,\"quantity\":3}", "{}",
            "{\"customerId\":null,\"productId\":342,\"quantity\":3}",
            "{\"customerId\":\"17\",\"productId\":342,\"quantity\":3}",
            "{\"customerId\":17.0,\"productId\":342,\"quantity\":3}",
            "{\"customerId\":1.5,\"productId\":342,\"quantity\":3}",
            "{\"customerId\":1e2,\"productId\":342,\"quantity\":3}",
            "{\"customerId\":true,\"productId\":342,\"quantity\":3}",
            "{\"customerId\":[17],\"productId\":342,\"quantity\":3}",
            "{\"customerId\":{},\"productId\":342,\"quantity\":3}",
            "{\"customerId\":0,\"productId\":342,\"quantity\":3}",
            "{\"customerId\":-1,\"productId\":342,\"quantity\":3}",
            "{\"customerId\":9223372036854775808,\"productId\":342,\"quantity\":3}",
            // Checked before productId and quantity, which are wrong too.
            "{\"customerId\":0,\"productId\":0,\"quantity\":0}" })
    void invalidCustomerIdIsNamed(String body) {
        assertRejected(body, "customerId", "customerId must be a positive integer");
    }

    @ParameterizedTest
    @ValueSource(strings = { "{\"customerId\":17,\"quantity\":3}",
            "{\"customerId\":17,\"productId\":\"342\",\"quantity\":3}",
            "{\"customerId\":17,\"productId\":342.5,\"quantity\":3}",
            "{\"customerId\":17,\"productId\":0,\"quantity\":3}",
            "{\"customerId\":17,\"productId\":-342,\"quantity\":3}",
            "{\"customerId\":17,\"productId\":99999999999999999999,\"quantity\":3}",
            "{\"customerId\":17,\"productId\":null,\"quantity\":0}" })
    void invalidProductIdIsNamed(String body) {
        assertRejected(body, "productId", "productId must be a positive integer");
    }

    @ParameterizedTest
    @ValueSource(strings = { "{\"customerId\":17,\"productId\":342}",
            "{\"customerId\":17,\"productId\":342,\"quantity\":null}",
            "{\"customerId\":17,\"productId\":342,\"quantity\":0}",
            "{\"customerId\":17,\"productId\":342,\"quantity\":-3}",
            "{\"customerId\":17,\"productId\":342,\"quantity\":101}",
            "{\"customerId\":17,\"productId\":342,\"quantity\":2147483648}",
            "{\"customerId\":17,\"productId\":342,\"quantity\":4294967299}",
            "{\"customerId\":17,\"productId\":342,\"quantity\":3.0}",
            "{\"customerId\":17,\"productId\":342,\"quantity\":\"3\"}",
            "{\"customerId\":17,\"productId\":342,\"quantity\":false}" })
    void invalidQuantityIsNamed(String body) {
        assertRejected(body, "quantity", "quantity must be an integer from 1 to 100");
    }

    @Test
    void quantityBoundsAreInclusive() {
        assertThat(NewOrder.parse("{\"customerId\":1,\"productId\":1,\"quantity\":1}").quantity()).isEqualTo(1);
        assertThat(NewOrder.parse("{\"customerId\":1,\"productId\":1,\"quantity\":100}").quantity()).isEqualTo(100);
    }

    /** The golden 400s both apps are tested against are what this parser produces, byte for byte. */
    @Test
    void goldenRejectionsAreWhatTheParserAnswers() {
        JsonMapper json = JsonMapper.builder().build();
        ContractFixtures.INVALID_NEW_ORDERS.forEach((body, golden) -> {
            String expected = ContractFixtures.golden(golden);
            try {
                NewOrder order = NewOrder.parse(body);
                // Well-formed: only the database can reject it.
                assertThat(order.customerId()).as(body).isEqualTo(ContractFixtures.UNKNOWN_CUSTOMER_ID);
                assertThat(json.writeValueAsString(NewOrder.unknownCustomer(order.customerId()).toApiError()))
                    .as(body).isEqualTo(expected);
            }
            catch (InvalidRequestException rejected) {
                assertThat(json.writeValueAsString(rejected.toApiError())).as(body).isEqualTo(expected);
            }
        });
        assertThat(NewOrder.parse(ContractFixtures.NEW_ORDER_BODY).totalCents()).isEqualTo(8562);
    }

    private static void assertRejected(String body, String field, String message) {
        assertThatExceptionOfType(InvalidRequestException.class).isThrownBy(() -> NewOrder.parse(body))
            .satisfies((ex) -> assertThat(ex.toApiError()).isEqualTo(new ApiError(400, "bad_request", message, field)));
    }
}
