package dev.loombench.orders.domain.order;

/**
 * Column names of {@code orders} (see {@code db/schema/V1__orders.sql}), so the JDBC and R2DBC repositories
 * read the same columns; only the bind-marker syntax differs between them.
 */
public final class OrderTable {

    public static final String ID = "id";

    public static final String CUSTOMER_ID = "customer_id";

    public static final String PRODUCT_ID = "product_id";

    public static final String QUANTITY = "quantity";

    public static final String TOTAL_CENTS = "total_cents";

    public static final String STATUS = "status";

    public static final String CREATED_AT = "created_at";

    /** Everything but the predicate's bind marker ({@code ?} for JDBC, {@code $1} for R2DBC) is shared. */
    public static final String SELECT_BY_ID_PREFIX = "SELECT id, customer_id, product_id, quantity, total_cents, "
            + "status, created_at FROM orders WHERE id = ";

    private OrderTable() {
    }
}
