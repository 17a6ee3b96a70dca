package dev.loombench.orders.domain.order;

import java.time.Instant;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import dev.loombench.orders.domain.customer.Customer;
import dev.loombench.orders.domain.error.ApiError;
import dev.loombench.orders.domain.error.DownstreamService;
import dev.loombench.orders.domain.inventory.Inventory;
import dev.loombench.orders.domain.testing.ContractFixtures;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class OrderDetailsTest {

    private static final Order ORDER = new Order(900000001L, 900000001L, 342L, 3, 4497L, "CREATED",
            Instant.parse("2026-01-01T00:00:00Z"));

    private static final Customer CUSTOMER = new Customer(900000001L, "Customer 900000001", "SILVER");

    private static final Inventory INVENTORY = new Inventory(342L, true, 98);

    // A plain Jackson 3 mapper: the annotations alone must pin the wire format, whatever a variant configures.
    private final JsonMapper json = JsonMapper.builder().build();

    @Test
    void assembleCopiesOrderAndEmbedsDownstreamAnswers() {
        OrderDetails details = OrderDetails.assemble(ORDER, CUSTOMER, INVENTORY);
        assertThat(details).isEqualTo(new OrderDetails(900000001L, 900000001L, 342L, 3, 4497L, "CREATED",
                Instant.parse("2026-01-01T00:00:00Z"), CUSTOMER, INVENTORY));
    }

    @Test
    void assembleRejectsMissingParts() {
        assertThatIllegalArgumentException().isThrownBy(() -> OrderDetails.assemble(ORDER, null, INVENTORY));
        assertThatIllegalArgumentException().isThrownBy(() -> OrderDetails.assemble(ORDER, CUSTOMER, null));
        assertThatIllegalArgumentException().isThrownBy(() -> OrderDetails.assemble(null, CUSTOMER, INVENTORY));
    }

    @Test
    void serialisesToTheGoldenOrderDocument() {
        assertThat(this.json.writeValueAsString(OrderDetails.assemble(ORDER, CUSTOMER, INVENTORY)))
            .isEqualTo(ContractFixtures.golden(ContractFixtures.ORDER));
    }

    @Test
    void errorBodiesSerialiseToTheGoldenDocuments() {
        assertThat(this.json.writeValueAsString(ApiError.orderNotFound(ContractFixtures.UNKNOWN_ORDER_ID)))
            .isEqualTo(ContractFixtures.golden(ContractFixtures.NOT_FOUND));
        assertThat(this.json.writeValueAsString(ApiError.invalidOrderId()))
            .isEqualTo(ContractFixtures.golden(ContractFixtures.BAD_REQUEST));
        assertThat(this.json.writeValueAsString(ApiError.downstreamFailed(DownstreamService.INVENTORY)))
            .isEqualTo("{\"status\":502,\"error\":\"downstream_failed\",\"message\":\"inventory service failed\"}");
    }
}
