-- Applied by the harness's infrastructure provider with psql; the apps never migrate.
CREATE TABLE IF NOT EXISTS customers (
    id          bigint      PRIMARY KEY,
    name        text        NOT NULL,
    email       text        NOT NULL,
    created_at  timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS orders (
    id          bigint      PRIMARY KEY,
    customer_id bigint      NOT NULL REFERENCES customers (id),
    product_id  bigint      NOT NULL,
    quantity    int         NOT NULL,
    total_cents bigint      NOT NULL,
    status      text        NOT NULL,
    created_at  timestamptz NOT NULL
);

CREATE INDEX IF NOT EXISTS orders_customer_id_idx ON orders (customer_id);
