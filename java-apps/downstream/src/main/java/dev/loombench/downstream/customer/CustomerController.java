package dev.loombench.downstream.customer;

import reactor.core.publisher.Mono;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import dev.loombench.downstream.web.SimulatedDelay;
import dev.loombench.orders.domain.customer.Customer;
import dev.loombench.orders.domain.order.PositiveLongs;

@RestController
class CustomerController {

    @GetMapping("/customers/{id}")
    Mono<Customer> customer(@PathVariable String id,
            @RequestParam(name = SimulatedDelay.PARAMETER, required = false) String delayMs) {
        long customerId = PositiveLongs.parse(id, "id", "customer id must be a positive integer");
        return SimulatedDelay.parse(delayMs).then(CustomerDirectory.lookup(customerId));
    }
}
