-- The order lifecycle (OrderCreated -> OrderPaid -> OrderShipped, keyed by order id): the projection holds the
-- newest stage it applied and counts, independently of the broker, every event that was not exactly the next stage.
-- applied stays the total of events applied to the row; processed twice is now read per stage, since with a
-- lifecycle an order legitimately takes three events. Defaults keep rows written by a V2-only app readable.
ALTER TABLE order_projection
    ADD COLUMN IF NOT EXISTS stage           int NOT NULL DEFAULT 1,
    -- Events applied whose stage was not held stage + 1: older than the one held, or ahead of their predecessor.
    ADD COLUMN IF NOT EXISTS out_of_order    int NOT NULL DEFAULT 0,
    -- How often each stage was applied: above 1 is that event processed twice.
    ADD COLUMN IF NOT EXISTS created_applied int NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS paid_applied    int NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS shipped_applied int NOT NULL DEFAULT 0;
