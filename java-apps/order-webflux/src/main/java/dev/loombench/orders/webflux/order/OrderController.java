package dev.loombench.orders.webflux.order;

import reactor.core.publisher.Mono;

import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

import dev.loombench.orders.domain.order.OrderDetails;
import dev.loombench.orders.domain.order.OrderIds;

@RestController
class OrderController {

    private final OrderService orders;

    OrderController(OrderService orders) {
        this.orders = orders;
    }

    /** The id stays a String here so that the domain, not Spring's conversion, decides what a valid id is. */
    @GetMapping(path = "/orders/{id}", produces = MediaType.APPLICATION_JSON_VALUE)
    Mono<OrderDetails> order(@PathVariable String id) {
        return this.orders.details(OrderIds.parse(id));
    }
}
