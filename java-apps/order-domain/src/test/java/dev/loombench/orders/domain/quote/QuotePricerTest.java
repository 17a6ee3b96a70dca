package dev.loombench.orders.domain.quote;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.json.JsonMapper;

import dev.loombench.orders.domain.error.ApiError;
import dev.loombench.orders.domain.error.InvalidRequestException;
import dev.loombench.orders.domain.order.OrderIds;
import dev.loombench.orders.domain.testing.ContractFixtures;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class QuotePricerTest {

    /**
     * Computed outside Java: {@code printf '\x00\x00\x00\x00\x00\x00\x00\x01' | sha256sum}, i.e. SHA-256 of the
     * 8-byte big-endian id 1.
     */
    private static final String ID_1_ROUND_1 = "cd2662154e6d76b2b2b92e70c0cac3ccf534f9b74eb5b89819ec509083d00a50";

    /** Python: {@code d = struct.pack('>q', 1); for _ in range(3): d = hashlib.sha256(d).digest()}. */
    private static final String ID_1_ROUND_3 = "f867ddd7c47030f8667b61a9860b085c060c07eb215a4de991a8fed0cae3821f";

    private final JsonMapper json = JsonMapper.builder().build();

    @Test
    void oneRoundIsTheSha256OfTheBigEndianId() {
        // 0xcd266215 = 3441844757; 3441844757 % 99900 = 89957; + 100.
        assertThat(QuotePricer.price(1, 1)).isEqualTo(new Quote(1, 1, ID_1_ROUND_1, 90057));
    }

    @Test
    void everyNextRoundHashesThePreviousDigest() {
        // 0xf867ddd7 = 4167556567; % 99900 = 28267; + 100.
        assertThat(QuotePricer.price(1, 3)).isEqualTo(new Quote(1, 3, ID_1_ROUND_3, 28367));
    }

    @Test
    void isDeterministic() {
        Quote first = QuotePricer.price(900000001L, 5000);
        assertThat(QuotePricer.price(900000001L, 5000)).isEqualTo(first);
        assertThat(QuotePricer.price(900000002L, 5000)).isNotEqualTo(first);
        assertThat(QuotePricer.price(900000001L, 5001).digest()).isNotEqualTo(first.digest());
    }

    @Test
    void priceStaysInItsRange() {
        for (long id = 1; id <= 200; id++) {
            assertThat(QuotePricer.price(id, 2).priceCents()).isBetween(100L, 99_999L);
        }
    }

    @Test
    void serialisesToTheGoldenQuote() {
        Quote quote = QuotePricer.price(Long.toString(ContractFixtures.FIXTURE_ORDER_ID),
                Integer.toString(ContractFixtures.QUOTE_ROUNDS));
        assertThat(this.json.writeValueAsString(quote)).isEqualTo(ContractFixtures.golden(ContractFixtures.QUOTE));
    }

    @ParameterizedTest
    @ValueSource(strings = { "1", "2", "1000", "100000", "000007" })
    void acceptsRoundsFromOneToTheMaximum(String raw) {
        assertThat(QuotePricer.parseRounds(raw)).isEqualTo(Integer.parseInt(raw));
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = { "0", "-1", "+1", "100001", "1000000", "99999999999", "1.5", "abc", " 1", "\u0661" })
    void rejectsOtherRoundsWithTheGoldenBadRequest(String raw) {
        assertThatExceptionOfType(InvalidRequestException.class).isThrownBy(() -> QuotePricer.parseRounds(raw))
            .satisfies((ex) -> assertThat(this.json.writeValueAsString(ex.toApiError()))
                .isEqualTo(ContractFixtures.golden(ContractFixtures.BAD_ROUNDS)));
    }

    @Test
    void theIdIsCheckedFirstWithTheOrderIdRules() {
        assertThatExceptionOfType(InvalidRequestException.class).isThrownBy(() -> QuotePricer.price("abc", null))
            .satisfies((ex) -> assertThat(ex.toApiError()).isEqualTo(ApiError.invalidOrderId()));
        assertThatExceptionOfType(InvalidRequestException.class).isThrownBy(() -> QuotePricer.price("1", null))
            .satisfies((ex) -> assertThat(ex.field()).isEqualTo(QuotePricer.ROUNDS_FIELD));
        assertThat(OrderIds.FIELD).isEqualTo("id");
    }

    @Test
    void programmaticCallsOutsideTheRangeAreRejected() {
        assertThatIllegalArgumentException().isThrownBy(() -> QuotePricer.price(0, 1));
        assertThatIllegalArgumentException().isThrownBy(() -> QuotePricer.price(1, 0));
        assertThatIllegalArgumentException().isThrownBy(() -> QuotePricer.price(1, QuotePricer.MAX_ROUNDS + 1));
    }
}
