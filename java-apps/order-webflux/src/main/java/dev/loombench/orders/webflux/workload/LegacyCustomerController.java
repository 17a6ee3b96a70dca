package dev.loombench.orders.webflux.workload;

import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

import dev.loombench.orders.domain.customer.Customer;
import dev.loombench.orders.domain.customer.CustomerIds;
import dev.loombench.orders.domain.customer.LegacyCustomerClient;

/**
 * The pinning workload, the way reactive code has to use a blocking library: wrap the call in
 * {@code Mono.fromCallable} and subscribe on {@code Schedulers.boundedElastic()}, Reactor's pool for blocking work
 * (platform threads, at most 10 × available processors of them, excess tasks queue). The event loop never blocks;
 * a boundedElastic thread is held for the whole downstream wait (with or without the stripe monitor, so JEP 491
 * changes nothing here), which makes that pool's size this endpoint's concurrency limit. The id is parsed on the
 * event loop, so a bad id never reaches the pool.
 */
@RestController
class LegacyCustomerController {

    private final LegacyCustomerClient legacyClient;

    LegacyCustomerController(LegacyCustomerClient legacyClient) {
        this.legacyClient = legacyClient;
    }

    @GetMapping(path = "/legacy/customers/{id}", produces = MediaType.APPLICATION_JSON_VALUE)
    Mono<Customer> customer(@PathVariable String id) {
        long customerId = CustomerIds.parse(id);
        return Mono.fromCallable(() -> this.legacyClient.fetch(customerId)).subscribeOn(Schedulers.boundedElastic());
    }
}
