package dev.loombench.orders.domain.customer;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.json.JsonMapper;

import dev.loombench.orders.domain.error.DownstreamFailedException;
import dev.loombench.orders.domain.error.DownstreamService;
import dev.loombench.orders.domain.error.InvalidRequestException;
import dev.loombench.orders.domain.testing.ClosedPort;
import dev.loombench.orders.domain.testing.ContractFixtures;
import dev.loombench.orders.domain.testing.GatedDownstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/** The client alone, against a local stand-in (gate 1: answers at once) and a closed port. */
class LegacyCustomerClientTest {

    private final JsonMapper json = JsonMapper.builder().build();

    @Test
    void fetchesAndDecodesTheCustomer() {
        try (GatedDownstream downstream = GatedDownstream.start(1, Duration.ofSeconds(30))) {
            LegacyCustomerClient client = new LegacyCustomerClient(downstream.baseUrl() + "/", 0, 4, 10_000);
            Customer customer = client.fetch(ContractFixtures.FIXTURE_CUSTOMER_ID);
            assertThat(customer).isEqualTo(new Customer(900000001L, "Customer 900000001", "SILVER"));
            assertThat(this.json.writeValueAsString(customer))
                .isEqualTo(ContractFixtures.golden(ContractFixtures.LEGACY_CUSTOMER));
            // Keep-alive reuse or not, a second call on the same stripe works too.
            assertThat(client.fetch(ContractFixtures.FIXTURE_CUSTOMER_ID + 4)).extracting(Customer::tier)
                .isEqualTo("GOLD");
            assertThat(downstream.customerCalls()).isEqualTo(2);
        }
    }

    @Test
    void refusedConnectionIsTheCustomer502() {
        LegacyCustomerClient client = new LegacyCustomerClient("http://127.0.0.1:" + ClosedPort.find(), 0, 1, 5_000);
        assertThatExceptionOfType(DownstreamFailedException.class).isThrownBy(() -> client.fetch(1))
            .satisfies((ex) -> assertThat(ex.service()).isEqualTo(DownstreamService.CUSTOMER));
    }

    @Test
    void errorStatusIsTheCustomer502() {
        // Gate 2 with a tiny safety timeout: the single call is never joined by a second one and gets a 503.
        try (GatedDownstream downstream = GatedDownstream.start(2, Duration.ofMillis(50))) {
            LegacyCustomerClient client = new LegacyCustomerClient(downstream.baseUrl(), 0, 1, 10_000);
            assertThatExceptionOfType(DownstreamFailedException.class).isThrownBy(() -> client.fetch(1))
                .satisfies((ex) -> assertThat(ex.toApiError().message()).isEqualTo("customer service failed"));
        }
    }

    @Test
    void stripesAreChosenByIdModuloStripes() {
        LegacyCustomerClient client = new LegacyCustomerClient("http://127.0.0.1:1", 0, 64, 1000);
        assertThat(client.stripes()).isEqualTo(64);
        assertThat(client.timeoutMs()).isEqualTo(1000);
        assertThat(client.stripeOf(1)).isEqualTo(1);
        assertThat(client.stripeOf(64)).isZero();
        assertThat(client.stripeOf(900000001L)).isEqualTo((int) (900000001L % 64));
        assertThat(client.stripeOf(Long.MAX_VALUE)).isEqualTo(63);
    }

    @Test
    void rejectsNonsenseSettings() {
        assertThatIllegalArgumentException().isThrownBy(() -> new LegacyCustomerClient("http://x", 0, 0, 1000));
        assertThatIllegalArgumentException().isThrownBy(() -> new LegacyCustomerClient("http://x", 0, 1, 0));
        assertThatIllegalArgumentException().isThrownBy(() -> new LegacyCustomerClient("http://x", -1, 1, 1000));
        assertThatIllegalArgumentException().isThrownBy(() -> new LegacyCustomerClient(" ", 0, 1, 1000));
    }

    @Test
    void customerIdsFollowThePositiveLongRules() {
        assertThat(CustomerIds.parse("900000001")).isEqualTo(900000001L);
    }

    @ParameterizedTest
    @ValueSource(strings = { "abc", "0", "-1", "9223372036854775808" })
    void badCustomerIdsGiveTheGoldenBadRequest(String raw) {
        assertThatExceptionOfType(InvalidRequestException.class).isThrownBy(() -> CustomerIds.parse(raw))
            .satisfies((ex) -> assertThat(this.json.writeValueAsString(ex.toApiError()))
                .isEqualTo(ContractFixtures.golden(ContractFixtures.BAD_CUSTOMER_ID)));
    }
}
