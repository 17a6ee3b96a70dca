package dev.loombench.orders.webflux.order;

import java.net.URI;

import reactor.core.publisher.Mono;

import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import dev.loombench.orders.domain.order.CreatedOrder;
import dev.loombench.orders.domain.order.NewOrder;
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

    /**
     * The body arrives as a String whatever its Content-Type, and the domain parses it: framework binding would
     * reject some bodies with its own messages, and the variants would no longer answer alike. No body at all is
     * the domain's "body" 400 too, hence not required here.
     */
    @PostMapping(path = "/orders", produces = MediaType.APPLICATION_JSON_VALUE)
    Mono<ResponseEntity<CreatedOrder>> create(@RequestBody(required = false) Mono<String> body) {
        return body.defaultIfEmpty("")
            .map(NewOrder::parse)
            .flatMap(this.orders::create)
            .map((created) -> ResponseEntity.created(URI.create("/orders/" + created.id()))
                .contentType(MediaType.APPLICATION_JSON)
                .body(created));
    }
}
