package dev.loombench.orders.webflux.order;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;

import reactor.core.publisher.Mono;

import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.reactive.TransactionalOperator;

import dev.loombench.orders.domain.event.EventSql;
import dev.loombench.orders.domain.event.OrderCreated;
import dev.loombench.orders.domain.event.OrderEventCodec;
import dev.loombench.orders.domain.order.CreatedOrder;
import dev.loombench.orders.domain.order.NewOrder;

/**
 * The write path of {@code POST /orders}: customer check, next order id, the order row and its outbox row, all in
 * one R2DBC transaction, so an order never exists without its event nor an event without its order. An unknown
 * customer fails inside the transaction, which then rolls back with nothing written.
 */
@Repository
class OrderWriter {

    private final DatabaseClient database;

    private final TransactionalOperator transaction;

    OrderWriter(DatabaseClient database, TransactionalOperator transaction) {
        this.database = database;
        this.transaction = transaction;
    }

    Mono<CreatedOrder> create(NewOrder order) {
        return this.transaction.transactional(customerExists(order.customerId())
            .flatMap((exists) -> exists ? nextOrderId() : Mono.error(NewOrder.unknownCustomer(order.customerId())))
            .map((id) -> CreatedOrder.of(id, order, Instant.now(), UUID.randomUUID()))
            .flatMap((created) -> insertOrder(created).then(insertOutbox(created)).thenReturn(created)));
    }

    private Mono<Boolean> customerExists(long customerId) {
        return this.database.sql(EventSql.CUSTOMER_EXISTS)
            .bind("customerId", customerId)
            .map((row) -> row.get(0, Long.class))
            .one()
            .map((count) -> count > 0);
    }

    private Mono<Long> nextOrderId() {
        return this.database.sql(EventSql.NEXT_ORDER_ID).map((row) -> row.get(0, Long.class)).one();
    }

    private Mono<Long> insertOrder(CreatedOrder order) {
        return this.database.sql(EventSql.INSERT_ORDER)
            .bind("id", order.id())
            .bind("customerId", order.customerId())
            .bind("productId", order.productId())
            .bind("quantity", order.quantity())
            .bind("totalCents", order.totalCents())
            .bind("status", order.status())
            .bind("createdAt", OffsetDateTime.ofInstant(order.createdAt(), ZoneOffset.UTC))
            .fetch()
            .rowsUpdated();
    }

    private Mono<Long> insertOutbox(CreatedOrder order) {
        OrderCreated event = order.event();
        return this.database.sql(EventSql.INSERT_OUTBOX)
            .bind("eventId", event.eventId())
            .bind("eventType", OrderCreated.TYPE)
            .bind("aggregateId", event.orderId())
            .bind("payload", OrderEventCodec.toJson(event))
            .fetch()
            .rowsUpdated();
    }
}
