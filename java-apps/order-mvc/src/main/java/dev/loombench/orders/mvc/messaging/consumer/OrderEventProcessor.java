package dev.loombench.orders.mvc.messaging.consumer;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import dev.loombench.orders.domain.event.EventSql;
import dev.loombench.orders.domain.event.OrderCreated;
import dev.loombench.orders.domain.event.OrderEventCodec;
import dev.loombench.orders.domain.event.PoisonMessageException;
import dev.loombench.orders.domain.inventory.Inventory;
import dev.loombench.orders.mvc.downstream.InventoryClient;
import dev.loombench.orders.mvc.messaging.MessagingProperties;

/**
 * The consumer's work for one message, the same for both brokers: parse, ask the inventory service (outside any
 * transaction: no connection is held while it waits), then record the event in the inbox and, the first time
 * only, apply it to the projection, in one transaction. The listener acknowledges after this returns, i.e. after
 * the commit, so a crash in between redelivers an event the inbox then recognises.
 */
@Component
public class OrderEventProcessor {

    private final InventoryClient inventory;

    private final JdbcClient jdbc;

    private final TransactionTemplate transaction;

    private final long delayMs;

    OrderEventProcessor(InventoryClient inventory, JdbcClient jdbc, TransactionTemplate transaction,
            MessagingProperties messaging) {
        this.inventory = inventory;
        this.jdbc = jdbc;
        this.transaction = transaction;
        this.delayMs = messaging.consumerDelayMs();
    }

    public long delayMs() {
        return this.delayMs;
    }

    /**
     * @return true when the event was applied, false when the inbox already held it (a redelivery)
     * @throws PoisonMessageException when the payload is no {@code OrderCreated}: retrying cannot help
     */
    public boolean consume(String payload, String broker) {
        OrderCreated event = OrderEventCodec.parse(payload);
        Inventory stock = this.inventory.check(event.productId(), this.delayMs);
        Boolean applied = this.transaction.execute((status) -> apply(event, stock, broker));
        return Boolean.TRUE.equals(applied);
    }

    private boolean apply(OrderCreated event, Inventory stock, String broker) {
        boolean inserted = this.jdbc.sql(EventSql.INBOX_INSERT)
            .param("eventId", event.eventId())
            .param("broker", broker)
            .query(Boolean.class)
            .single();
        if (inserted) {
            this.jdbc.sql(EventSql.PROJECTION_UPSERT)
                .param("orderId", event.orderId())
                .param("eventId", event.eventId())
                .param("customerId", event.customerId())
                .param("totalCents", event.totalCents())
                .param("stock", stock.stock())
                .update();
        }
        return inserted;
    }
}
