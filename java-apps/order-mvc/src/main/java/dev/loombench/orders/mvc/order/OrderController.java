package dev.loombench.orders.mvc.order;

import java.net.URI;

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

    private final OrderWriter writer;

    OrderController(OrderService orders, OrderWriter writer) {
        this.orders = orders;
        this.writer = writer;
    }

    // The id arrives as text so that OrderIds, shared with WebFlux, alone decides what is valid.
    @GetMapping(path = "/orders/{id}", produces = MediaType.APPLICATION_JSON_VALUE)
    OrderDetails order(@PathVariable String id) {
        return this.orders.details(OrderIds.parse(id));
    }

    // The body arrives as text so that NewOrder, shared with WebFlux, alone decides what is valid.
    @PostMapping(path = "/orders", produces = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<CreatedOrder> create(@RequestBody(required = false) String body) {
        CreatedOrder created = this.writer.create(NewOrder.parse(body));
        return ResponseEntity.created(URI.create("/orders/" + created.id()))
            .contentType(MediaType.APPLICATION_JSON)
            .body(created);
    }
}
