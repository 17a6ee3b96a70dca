package dev.loombench.orders.webflux.workload;

import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import dev.loombench.orders.domain.quote.Quote;
import dev.loombench.orders.domain.quote.QuotePricer;

/**
 * The CPU-bound workload, computed right here on the request's event loop, on purpose. It is pure CPU: no I/O to
 * wait for, nothing to make non-blocking. Offloading it (e.g. to boundedElastic or parallel) would not create CPU
 * capacity, only add a thread hop and a queue in front of the same cores; the point of this benchmark endpoint is
 * that no threading model creates CPU capacity. The price: while a quote is computed, the other connections of
 * that event loop wait, which is exactly what the measurement should show.
 */
@RestController
class QuoteController {

    @GetMapping(path = "/quotes/{id}", produces = MediaType.APPLICATION_JSON_VALUE)
    Quote quote(@PathVariable String id, @RequestParam(name = QuotePricer.ROUNDS_FIELD, required = false) String rounds) {
        return QuotePricer.price(id, rounds);
    }
}
