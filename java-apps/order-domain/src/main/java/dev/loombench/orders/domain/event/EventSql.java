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

    private static final String PROJECTION_COLUMNS = "(order_id, event_id, customer_id, total_cents, stock, applied, "
            + "stage, out_of_order, created_applied, paid_applied, shipped_applied)";

    /** Typed, so that the same list serves {@code VALUES} and a {@code SELECT}, whose parameters have no column. */
    private static final String PROJECTION_VALUES = "CAST(:orderId AS bigint), CAST(:eventId AS uuid), "
            + "CAST(:customerId AS bigint), CAST(:totalCents AS bigint), CAST(:stock AS int), 1, CAST(:stage AS int), "
            + "CASE WHEN CAST(:stage AS int) = 1 THEN 0 ELSE 1 END, "
            + "CASE WHEN CAST(:stage AS int) = 1 THEN 1 ELSE 0 END, CASE WHEN CAST(:stage AS int) = 2 THEN 1 ELSE 0 END, "
            + "CASE WHEN CAST(:stage AS int) = 3 THEN 1 ELSE 0 END";

    /**
     * The row keeps the newest stage (and that event's id); an event whose stage is not exactly the held stage + 1 (0
     * before the row exists) bumps {@code out_of_order}: an older state arriving after a newer one, or a stage
     * arriving before its predecessor. Each stage's own count above 1 is the mark of double processing
     * (V3__lifecycle.sql).
     */
    private static final String PROJECTION_ON_CONFLICT = "ON CONFLICT (order_id) DO UPDATE SET "
            + "applied = order_projection.applied + 1, "
            + "out_of_order = order_projection.out_of_order "
            + "+ CASE WHEN EXCLUDED.stage = order_projection.stage + 1 THEN 0 ELSE 1 END, "
            + "event_id = CASE WHEN EXCLUDED.stage > order_projection.stage THEN EXCLUDED.event_id "
            + "ELSE order_projection.event_id END, "
            + "stage = greatest(order_projection.stage, EXCLUDED.stage), "
            + "created_applied = order_projection.created_applied + EXCLUDED.created_applied, "
            + "paid_applied = order_projection.paid_applied + EXCLUDED.paid_applied, "
            + "shipped_applied = order_projection.shipped_applied + EXCLUDED.shipped_applied, "
            + "updated_at = clock_timestamp()";

    /**
     * What both consumers run for an event, after the downstream call: record its id in the inbox and, only when the
     * inbox had not seen it, apply it to the projection ({@code :stage} is {@link OrderEventType#stage()}). One
     * boolean column {@code inserted}: true the first time an event id is seen; a redelivery only bumps
     * {@code duplicates}, and a concurrent redelivery waits for the first one's row lock and then takes that path.
     * <p>
     * One statement, so one transaction and one round trip in autocommit: a data-modifying {@code WITH} runs both
     * inserts atomically, which two statements between BEGIN and COMMIT did in four round trips (three over JDBC,
     * whose BEGIN rides on the first statement). Over R2DBC each round trip is a chain of Reactor operators; over
     * JDBC a pool checkout, a commit and its wait.
     */
    public static final String APPLY_EVENT = "WITH seen AS (INSERT INTO inbox (event_id, broker) "
            + "VALUES (:eventId, :broker) "
            + "ON CONFLICT (event_id) DO UPDATE SET duplicates = inbox.duplicates + 1 "
            + "RETURNING (xmax = 0) AS inserted), "
            + "applied AS (INSERT INTO order_projection " + PROJECTION_COLUMNS + " SELECT " + PROJECTION_VALUES
            + " FROM seen WHERE seen.inserted " + PROJECTION_ON_CONFLICT + ") "
            + "SELECT inserted FROM seen";

    /**
     * The projection half of {@link #APPLY_EVENT} alone, bypassing the inbox: what a consumer without one would do
     * (the tests show what double processing then looks like).
     */
    public static final String PROJECTION_UPSERT = "INSERT INTO order_projection " + PROJECTION_COLUMNS + " VALUES ("
            + PROJECTION_VALUES + ") " + PROJECTION_ON_CONFLICT;

    public static final String INSERT_DEAD_LETTER = "INSERT INTO dead_letters (broker, event_id, reason, payload) "
            + "VALUES (:broker, :eventId, :reason, :payload)";

    private EventSql() {
    }
}
