package dev.loombench.orders.mvc.order;

import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;

import dev.loombench.orders.domain.event.EventSql;
import dev.loombench.orders.domain.event.OrderCreated;
import dev.loombench.orders.domain.event.OrderEventCodec;
import dev.loombench.orders.domain.order.CreatedOrder;
import dev.loombench.orders.domain.order.NewOrder;

/**
 * The write path of {@code POST /orders}: customer check, order id, order row and outbox row in one transaction,
 * so an event exists exactly when its order does. Any exception, the unknown-customer 400 included, rolls back.
 */
@Service
class OrderWriter {

    private final JdbcClient jdbc;

    private final TransactionTemplate transaction;

    private final Clock clock = Clock.systemUTC();

    OrderWriter(JdbcClient jdbc, TransactionTemplate transaction) {
        this.jdbc = jdbc;
        this.transaction = transaction;
    }

    CreatedOrder create(NewOrder order) {
        return this.transaction.execute((status) -> insert(order));
    }

    private CreatedOrder insert(NewOrder order) {
        long customers = this.jdbc.sql(EventSql.CUSTOMER_EXISTS)
            .param("customerId", order.customerId())
            .query(Long.class)
            .single();
        if (customers == 0) {
            throw NewOrder.unknownCustomer(order.customerId());
        }
        long id = this.jdbc.sql(EventSql.NEXT_ORDER_ID).query(Long.class).single();
        CreatedOrder created = CreatedOrder.of(id, order, this.clock.instant(), UUID.randomUUID());
        this.jdbc.sql(EventSql.INSERT_ORDER)
            .param("id", created.id())
            .param("customerId", created.customerId())
            .param("productId", created.productId())
            .param("quantity", created.quantity())
            .param("totalCents", created.totalCents())
            .param("status", created.status())
            .param("createdAt", OffsetDateTime.ofInstant(created.createdAt(), ZoneOffset.UTC))
            .update();
        this.jdbc.sql(EventSql.INSERT_OUTBOX)
            .param("eventId", created.eventId())
            .param("eventType", OrderCreated.TYPE)
            .param("aggregateId", created.id())
            .param("payload", OrderEventCodec.toJson(created.event()))
            .update();
        return created;
    }
}
