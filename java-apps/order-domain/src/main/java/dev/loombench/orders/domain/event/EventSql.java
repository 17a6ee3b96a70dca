package dev.loombench.orders.domain.event;

/**
 * Every statement of the event-driven half, shared by the JDBC and the R2DBC adapters so both run the same text.
 * Parameters are named ({@code :name}): Spring's {@code JdbcClient} and R2DBC {@code DatabaseClient} both bind
 * them, and both expand a collection bound to {@code :ids}. Bind instants as {@code OffsetDateTime} at UTC and
 * event ids as {@code UUID}.
 */
public final class EventSql {

    public static final String CUSTOMER_EXISTS = "SELECT count(*) FROM customers WHERE id = :customerId";

    public static final String NEXT_ORDER_ID = "SELECT nextval('order_id_seq')";

    public static final String INSERT_ORDER = "INSERT INTO orders "
            + "(id, customer_id, product_id, quantity, total_cents, status, created_at) "
            + "VALUES (:id, :customerId, :productId, :quantity, :totalCents, :status, :createdAt)";

    public static final String INSERT_OUTBOX = "INSERT INTO outbox (event_id, event_type, aggregate_id, payload) "
            + "VALUES (:eventId, :eventType, :aggregateId, :payload)";

    /** Rows another relay instance holds are skipped, not waited for. Columns: id, event_id, aggregate_id, payload. */
    public static final String CLAIM_BATCH = "SELECT id, event_id, aggregate_id, payload FROM outbox "
            + "WHERE published_at IS NULL ORDER BY id LIMIT :limit FOR UPDATE SKIP LOCKED";

    public static final String MARK_PUBLISHED = "UPDATE outbox SET published_at = clock_timestamp() WHERE id IN (:ids)";

    /**
     * One boolean column {@code inserted}: true the first time an event id is seen. A redelivery only bumps
     * {@code duplicates}; a concurrent redelivery waits for the first transaction and then takes that path.
     */
    public static final String INBOX_INSERT = "INSERT INTO inbox (event_id, broker) VALUES (:eventId, :broker) "
            + "ON CONFLICT (event_id) DO UPDATE SET duplicates = inbox.duplicates + 1 "
            + "RETURNING (xmax = 0) AS inserted";

    /** Run only when {@link #INBOX_INSERT} inserted; {@code applied} above 1 is the mark of double processing. */
    public static final String PROJECTION_UPSERT = "INSERT INTO order_projection "
            + "(order_id, event_id, customer_id, total_cents, stock, applied) "
            + "VALUES (:orderId, :eventId, :customerId, :totalCents, :stock, 1) "
            + "ON CONFLICT (order_id) DO UPDATE SET applied = order_projection.applied + 1, "
            + "updated_at = clock_timestamp()";

    public static final String INSERT_DEAD_LETTER = "INSERT INTO dead_letters (broker, event_id, reason, payload) "
            + "VALUES (:broker, :eventId, :reason, :payload)";

    private EventSql() {
    }
}
