package dev.loombench.orders.webflux.order;

import java.time.OffsetDateTime;

import io.r2dbc.spi.Readable;
import reactor.core.publisher.Mono;

import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;

import dev.loombench.orders.domain.order.Order;
import dev.loombench.orders.domain.order.OrderTable;

/** Reads one order row over R2DBC; the connection comes from the pool and goes back when the Mono completes. */
@Repository
class OrderRepository {

    private static final String SELECT_BY_ID = OrderTable.SELECT_BY_ID_PREFIX + "$1";

    private final DatabaseClient database;

    OrderRepository(DatabaseClient database) {
        this.database = database;
    }

    /** Empty when no row has this id. */
    Mono<Order> findById(long id) {
        return this.database.sql(SELECT_BY_ID).bind(0, id).map(OrderRepository::toOrder).one();
    }

    private static Order toOrder(Readable row) {
        // timestamptz arrives as OffsetDateTime; the domain (and so the JSON) carries an Instant, as JDBC gives it.
        OffsetDateTime createdAt = row.get(OrderTable.CREATED_AT, OffsetDateTime.class);
        return new Order(row.get(OrderTable.ID, Long.class), row.get(OrderTable.CUSTOMER_ID, Long.class),
                row.get(OrderTable.PRODUCT_ID, Long.class), row.get(OrderTable.QUANTITY, Integer.class),
                row.get(OrderTable.TOTAL_CENTS, Long.class), row.get(OrderTable.STATUS, String.class),
                createdAt.toInstant());
    }
}
