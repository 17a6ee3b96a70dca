package dev.loombench.orders.mvc.workload;

import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import dev.loombench.orders.domain.quote.Quote;
import dev.loombench.orders.domain.quote.QuotePricer;

/**
 * The CPU-bound workload: pure computation on the request thread (platform or virtual), no database, no
 * downstream. Both parameters arrive as text so the domain alone decides what is valid; a missing {@code rounds}
 * reaches it as null and becomes the same 400 as a bad one.
 */
@RestController
class QuoteController {

    @GetMapping(path = "/quotes/{id}", produces = MediaType.APPLICATION_JSON_VALUE)
    Quote quote(@PathVariable String id, @RequestParam(name = QuotePricer.ROUNDS_FIELD, required = false) String rounds) {
        return QuotePricer.price(id, rounds);
    }
}
