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

    /**
     * Rows another relay instance holds are skipped, not waited for. Columns: id, event_id, event_type, aggregate_id,
     * payload.
     */
    public static final String CLAIM_BATCH = "SELECT id, event_id, event_type, aggregate_id, payload FROM outbox "
            + "WHERE published_at IS NULL ORDER BY id LIMIT :limit FOR UPDATE SKIP LOCKED";

    public static final String MARK_PUBLISHED = "UPDATE outbox SET published_at = clock_timestamp() WHERE id IN (:ids)";

    /**
     * One boolean column {@code inserted}: true the first time an event id is seen. A redelivery only bumps
     * {@code duplicates}; a concurrent redelivery waits for the first transaction and then takes that path.
     */
    public static final String INBOX_INSERT = "INSERT INTO inbox (event_id, broker) VALUES (:eventId, :broker) "
            + "ON CONFLICT (event_id) DO UPDATE SET duplicates = inbox.duplicates + 1 "
            + "RETURNING (xmax = 0) AS inserted";

    /**
     * Run only when {@link #INBOX_INSERT} inserted; {@code :stage} is {@link OrderEventType#stage()}. The row keeps
     * the newest stage (and that event's id); an event whose stage is not exactly the held stage + 1 (0 before the
     * row exists) bumps {@code out_of_order}: an older state arriving after a newer one, or a stage arriving before
     * its predecessor. Each stage's own count above 1 is the mark of double processing (V3__lifecycle.sql).
     */
    public static final String PROJECTION_UPSERT = "INSERT INTO order_projection "
            + "(order_id, event_id, customer_id, total_cents, stock, applied, stage, out_of_order, "
            + "created_applied, paid_applied, shipped_applied) "
            + "VALUES (:orderId, :eventId, :customerId, :totalCents, :stock, 1, :stage, "
            + "CASE WHEN :stage = 1 THEN 0 ELSE 1 END, "
            + "CASE WHEN :stage = 1 THEN 1 ELSE 0 END, CASE WHEN :stage = 2 THEN 1 ELSE 0 END, "
            + "CASE WHEN :stage = 3 THEN 1 ELSE 0 END) "
            + "ON CONFLICT (order_id) DO UPDATE SET applied = order_projection.applied + 1, "
            + "out_of_order = order_projection.out_of_order "
            + "+ CASE WHEN EXCLUDED.stage = order_projection.stage + 1 THEN 0 ELSE 1 END, "
            + "event_id = CASE WHEN EXCLUDED.stage > order_projection.stage THEN EXCLUDED.event_id "
            + "ELSE order_projection.event_id END, "
            + "stage = greatest(order_projection.stage, EXCLUDED.stage), "
            + "created_applied = order_projection.created_applied + EXCLUDED.created_applied, "
            + "paid_applied = order_projection.paid_applied + EXCLUDED.paid_applied, "
            + "shipped_applied = order_projection.shipped_applied + EXCLUDED.shipped_applied, "
            + "updated_at = clock_timestamp()";

    public static final String INSERT_DEAD_LETTER = "INSERT INTO dead_letters (broker, event_id, reason, payload) "
            + "VALUES (:broker, :eventId, :reason, :payload)";

    private EventSql() {
    }
}
