package dev.loombench.orders.domain.order;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

import dev.loombench.orders.domain.error.ApiError;
import dev.loombench.orders.domain.error.InvalidRequestException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class OrderIdsTest {

    @ParameterizedTest
    @ValueSource(strings = { "1", "42", "900000001", "9223372036854775807", "007" })
    void acceptsPositive64BitIntegers(String raw) {
        assertThat(OrderIds.parse(raw)).isEqualTo(Long.parseLong(raw));
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = { "abc", "0", "-1", "+1", " 1", "1 ", "1.0", "1e3", "9223372036854775808",
            "99999999999999999999", "\u0661", "0x10" })
    void rejectsEverythingElse(String raw) {
        assertThatExceptionOfType(InvalidRequestException.class).isThrownBy(() -> OrderIds.parse(raw))
            .satisfies((ex) -> assertThat(ex.toApiError()).isEqualTo(ApiError.invalidOrderId()));
    }

    @Test
    void invalidIdErrorNamesTheField() {
        assertThat(ApiError.invalidOrderId())
            .isEqualTo(new ApiError(400, "bad_request", "order id must be a positive integer", "id"));
    }
}
