package dev.loombench.orders.mvc.workload;

import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

import dev.loombench.orders.domain.customer.Customer;
import dev.loombench.orders.domain.customer.CustomerIds;
import dev.loombench.orders.domain.customer.LegacyCustomerClient;

/**
 * The pinning workload: the legacy client's blocking call, inside its {@code synchronized} stripe, made directly
 * on the request thread. On mvc-virtual under JDK 21 that pins the carrier for the whole downstream wait, so at
 * most as many of these requests are in flight as there are carriers; on JDK 24+ (JEP 491) the virtual thread
 * unmounts while holding the monitor and they are in flight together (up to the stripe count). On mvc-platform
 * each request holds a Tomcat thread either way.
 */
@RestController
class LegacyCustomerController {

    private final LegacyCustomerClient legacyClient;

    LegacyCustomerController(LegacyCustomerClient legacyClient) {
        this.legacyClient = legacyClient;
    }

    @GetMapping(path = "/legacy/customers/{id}", produces = MediaType.APPLICATION_JSON_VALUE)
    Customer customer(@PathVariable String id) {
        return this.legacyClient.fetch(CustomerIds.parse(id));
    }
}
