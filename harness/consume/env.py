"""The ``ORDERS_*`` environment of the event-driven half (design.md) from a scenario's consume section."""

from __future__ import annotations

from typing import Any

from harness.scenario import ConsumeSettings, VariantName

NO_BROKER = {"ORDERS_BROKER": "none"}


def consume_env(consume: ConsumeSettings) -> dict[str, str]:
    """Every knob of the consume section; the broker's own variables (``Broker.env()``) come on top per
    segment. Until then ``ORDERS_BROKER=none``: the verification starts each app without a broker."""
    return {
        **NO_BROKER,
        "ORDERS_KAFKA_PARTITIONS": str(consume.partitions),
        "ORDERS_KAFKA_LISTENER_CONCURRENCY": str(consume.listener_concurrency),
        "ORDERS_RABBIT_LISTENER_CONCURRENCY": str(consume.listener_concurrency),
        "ORDERS_RABBIT_PREFETCH": str(consume.prefetch),
        "ORDERS_CONSUMER_DELAY_MS": str(consume.downstream_delay_ms),
        "ORDERS_CONSUMER_MAX_IN_FLIGHT": str(consume.max_in_flight),
        "ORDERS_CONSUMER_MAX_ATTEMPTS": str(consume.retries.max_attempts),
        "ORDERS_CONSUMER_BACKOFF_MS": str(consume.retries.backoff_ms),
        "ORDERS_RELAY_BATCH_SIZE": str(consume.relay.batch_size),
        "ORDERS_RELAY_POLL_INTERVAL_MS": str(consume.relay.poll_interval_ms),
    }


# Reported whatever the broker, ``none`` included (RuntimeSettings.MessagingSettings).
_BROKER_INDEPENDENT = ("relayBatchSize", "relayPollIntervalMs", "consumerDelayMs", "maxAttempts", "backoffMs",
                       "maxInFlight")


def requested_messaging(consume: ConsumeSettings, variant: VariantName, with_broker: bool) -> dict[str, Any]:
    """``messaging.<key>`` → value the running app must report in ``/actuator/info`` ``runtime``.

    Without the broker (verification) only the keys that do not depend on it are asked for."""
    wanted = consume.messaging(variant)
    if not with_broker:
        wanted = {key: value for key, value in wanted.items() if key in _BROKER_INDEPENDENT}
    return {f"messaging.{key}": value for key, value in wanted.items()}
