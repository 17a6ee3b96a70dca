package dev.loombench.orders.mvc.order;

import org.springframework.stereotype.Service;

import dev.loombench.orders.domain.customer.Customer;
import dev.loombench.orders.domain.error.OrderNotFoundException;
import dev.loombench.orders.domain.inventory.Inventory;
import dev.loombench.orders.domain.order.Order;
import dev.loombench.orders.domain.order.OrderDetails;
import dev.loombench.orders.mvc.downstream.CustomerClient;
import dev.loombench.orders.mvc.downstream.InventoryClient;

/**
 * The request chain of the contract: database, then customer, then inventory, one after the other. Deliberately
 * not {@code @Transactional}: a transaction would pin the DB connection across both HTTP waits.
 */
@Service
class OrderService {

    private final OrderRepository orders;

    private final CustomerClient customers;

    private final InventoryClient inventory;

    OrderService(OrderRepository orders, CustomerClient customers, InventoryClient inventory) {
        this.orders = orders;
        this.customers = customers;
        this.inventory = inventory;
    }

    OrderDetails details(long orderId) {
        Order order = this.orders.findById(orderId).orElseThrow(() -> new OrderNotFoundException(orderId));
        Customer customer = this.customers.fetch(order.customerId());
        Inventory stock = this.inventory.check(order.productId());
        return OrderDetails.assemble(order, customer, stock);
    }
}
