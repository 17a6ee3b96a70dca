package dev.loombench.orders.webflux.order;

import reactor.core.publisher.Mono;

import org.springframework.stereotype.Service;

import dev.loombench.orders.domain.error.OrderNotFoundException;
import dev.loombench.orders.domain.order.CreatedOrder;
import dev.loombench.orders.domain.order.NewOrder;
import dev.loombench.orders.domain.order.OrderDetails;
import dev.loombench.orders.webflux.downstream.CustomerClient;
import dev.loombench.orders.webflux.downstream.InventoryClient;

/**
 * Reading: the order, then its customer, then the product's stock, strictly one after the other, as in order-mvc,
 * so every variant pays two downstream delays per request and the comparison measures the threading model only.
 * Writing: the order and its outbox event together ({@link OrderWriter}); no downstream call.
 */
@Service
class OrderService {

    private final OrderRepository orders;

    private final CustomerClient customers;

    private final InventoryClient inventory;

    private final OrderWriter writer;

    OrderService(OrderRepository orders, CustomerClient customers, InventoryClient inventory, OrderWriter writer) {
        this.orders = orders;
        this.customers = customers;
        this.inventory = inventory;
        this.writer = writer;
    }

    Mono<CreatedOrder> create(NewOrder order) {
        return this.writer.create(order);
    }

    Mono<OrderDetails> details(long orderId) {
        return this.orders.findById(orderId)
            .switchIfEmpty(Mono.error(() -> new OrderNotFoundException(orderId)))
            .flatMap((order) -> this.customers.fetch(order.customerId())
                .flatMap((customer) -> this.inventory.check(order.productId())
                    .map((stock) -> OrderDetails.assemble(order, customer, stock))));
    }
}
