-- The event-driven half: transactional outbox, consumer inbox, the consumer's projection, parked poison.

-- New orders (POST /orders) take ids far above any seeded id, so the two never collide.
CREATE SEQUENCE IF NOT EXISTS order_id_seq START WITH 1000000000;

-- One row per publication request. A duplicate is a second row with the same event_id: that is
-- what a relay produces when it dies between publishing and marking, and how the harness injects them.
CREATE TABLE IF NOT EXISTS outbox (
    id            bigserial   PRIMARY KEY,
    event_id      uuid        NOT NULL,
    event_type    text        NOT NULL,
    aggregate_id  bigint      NOT NULL,
    -- text, not jsonb: the relay forwards bytes it never parses, so a poison payload reaches the consumer.
    payload       text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    published_at  timestamptz
);
CREATE INDEX IF NOT EXISTS outbox_unpublished_idx ON outbox (id) WHERE published_at IS NULL;
CREATE INDEX IF NOT EXISTS outbox_event_id_idx ON outbox (event_id);

-- Written in the same transaction as the projection: a redelivered event only bumps duplicates.
CREATE TABLE IF NOT EXISTS inbox (
    event_id      uuid        PRIMARY KEY,
    broker        text        NOT NULL,
    processed_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    duplicates    int         NOT NULL DEFAULT 0
);

-- The consumer's read model. applied counts how often an OrderCreated was applied to the row:
-- anything above 1 is an event processed twice, found independently of the inbox.
CREATE TABLE IF NOT EXISTS order_projection (
    order_id      bigint      PRIMARY KEY,
    event_id      uuid        NOT NULL,
    customer_id   bigint      NOT NULL,
    total_cents   bigint      NOT NULL,
    stock         int         NOT NULL,
    applied       int         NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Messages that reached the dead-letter topic or queue, recorded by the app's dead-letter listener.
CREATE TABLE IF NOT EXISTS dead_letters (
    id            bigserial   PRIMARY KEY,
    broker        text        NOT NULL,
    event_id      text,
    reason        text        NOT NULL,
    payload       text        NOT NULL,
    dead_at       timestamptz NOT NULL DEFAULT clock_timestamp()
);
