"""What the apps are told: every knob of the consume section, and what they must report back."""

from __future__ import annotations

from harness.consume.env import consume_env, requested_messaging
from harness.scenario import parse_scenario


def test_every_knob_reaches_the_environment() -> None:
    consume = parse_scenario({"name": "c", "consume": {
        "broker": "rabbitmq", "events": 10, "listener_concurrency": 3, "prefetch": 7, "max_in_flight": 64,
        "downstream_delay_ms": 5, "relay": {"batch_size": 50, "poll_interval_ms": 20},
        "retries": {"max_attempts": 4, "backoff_ms": 30},
    }}).consume
    assert consume is not None
    assert consume_env(consume) == {
        "ORDERS_BROKER": "none",
        "ORDERS_KAFKA_PARTITIONS": "8", "ORDERS_KAFKA_LISTENER_CONCURRENCY": "3",
        "ORDERS_RABBIT_LISTENER_CONCURRENCY": "3", "ORDERS_RABBIT_PREFETCH": "7",
        "ORDERS_CONSUMER_DELAY_MS": "5", "ORDERS_CONSUMER_MAX_IN_FLIGHT": "64",
        "ORDERS_CONSUMER_MAX_ATTEMPTS": "4", "ORDERS_CONSUMER_BACKOFF_MS": "30",
        "ORDERS_RELAY_BATCH_SIZE": "50", "ORDERS_RELAY_POLL_INTERVAL_MS": "20",
    }
    # Without a broker (verification) the app reports the relay and consumer settings, not the broker's.
    assert requested_messaging(consume, "mvc-virtual", with_broker=False) == {
        "messaging.relayBatchSize": 50, "messaging.relayPollIntervalMs": 20, "messaging.consumerDelayMs": 5,
        "messaging.maxAttempts": 4, "messaging.backoffMs": 30,
    }
    assert requested_messaging(consume, "webflux", with_broker=True) == {
        "messaging.broker": "rabbitmq", "messaging.listenerConcurrency": 3, "messaging.relayBatchSize": 50,
        "messaging.relayPollIntervalMs": 20, "messaging.consumerDelayMs": 5, "messaging.maxAttempts": 4,
        "messaging.backoffMs": 30, "messaging.prefetch": 7, "messaging.maxInFlight": 64,
    }
