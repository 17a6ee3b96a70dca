package dev.loombench.orders.mvc.order;

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

    // The id arrives as text so that OrderIds, shared with WebFlux, alone decides what is valid.
    @GetMapping(path = "/orders/{id}", produces = MediaType.APPLICATION_JSON_VALUE)
    OrderDetails order(@PathVariable String id) {
        return this.orders.details(OrderIds.parse(id));
    }
}
