package dev.loombench.orders.mvc.order;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.Optional;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import dev.loombench.orders.domain.order.Order;
import dev.loombench.orders.domain.order.OrderTable;

/**
 * Reads orders with one auto-commit statement: outside a transaction JdbcClient borrows a pooled connection
 * for the query only, so no Hikari connection is held while the downstream calls wait.
 */
@Repository
class OrderRepository {

    private static final String SELECT_BY_ID = OrderTable.SELECT_BY_ID_PREFIX + "?";

    private final JdbcClient jdbc;

    OrderRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    Optional<Order> findById(long id) {
        return this.jdbc.sql(SELECT_BY_ID).param(id).query(OrderRepository::mapRow).optional();
    }

    private static Order mapRow(ResultSet rs, int rowNum) throws SQLException {
        return new Order(rs.getLong(OrderTable.ID), rs.getLong(OrderTable.CUSTOMER_ID),
                rs.getLong(OrderTable.PRODUCT_ID), rs.getInt(OrderTable.QUANTITY), rs.getLong(OrderTable.TOTAL_CENTS),
                rs.getString(OrderTable.STATUS), rs.getObject(OrderTable.CREATED_AT, OffsetDateTime.class).toInstant());
    }
}
