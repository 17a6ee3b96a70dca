"""The events of the order lifecycle exactly as they travel (design.md, "The event on the wire").

OrderCreated, OrderPaid and OrderShipped share one form and differ only in ``type``; the stage a
type stands for (1, 2, 3) is what the consumer's projection holds (``EVENT_TYPES``, Java's
``OrderEventType``). Any other type is poison to the consumer.

Two renderings of the same bytes: ``wire_json`` in Python (tests, verification) and
``PAYLOAD_SQL`` in PostgreSQL (the preload builds ten thousand payloads in one statement). Both
print ``createdAt`` the way Java's ``Instant.toString()`` does: seconds always, then a fraction of
3 or 6 digits only when it is not zero (PostgreSQL keeps microseconds).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

CREATED = "OrderCreated"
EVENT_TYPES = (CREATED, "OrderPaid", "OrderShipped")
"""The lifecycle in stage order: an order's events are applied in order when stage n follows stage n - 1."""


def stage(event_type: str) -> int:
    """1, 2 or 3; ValueError for a type outside the lifecycle (a consumer dead-letters such an event as poison)."""
    try:
        return EVENT_TYPES.index(event_type) + 1
    except ValueError:
        raise ValueError(f"type must be one of {', '.join(EVENT_TYPES)}, was {event_type!r}") from None


POISON_PREFIX = "POISON "
"""Payloads the harness injects as poison start with this; no well-formed event (a JSON object) does."""

# No '%' in statement text: psycopg reads it as a placeholder whenever parameters are bound.
WELL_FORMED_SQL = f"NOT starts_with(payload, '{POISON_PREFIX}')"
POISON_SQL = f"starts_with(payload, '{POISON_PREFIX}')"


def instant_text(moment: datetime) -> str:
    """``Instant.toString()`` of a timezone-aware moment at microsecond precision."""
    utc = moment.astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    micros = utc.microsecond
    if micros == 0:
        return f"{text}Z"
    if micros % 1000 == 0:
        return f"{text}.{micros // 1000:03d}Z"
    return f"{text}.{micros:06d}Z"


def wire_json(event_id: uuid.UUID, order_id: int, customer_id: int, product_id: int, quantity: int,
              total_cents: int, created_at: datetime, event_type: str = CREATED) -> str:
    """The payload of one event of the lifecycle: UTF-8 JSON, fields in the contract's order, no spaces."""
    stage(event_type)
    return (
        f'{{"eventId":"{event_id}","type":"{event_type}","orderId":{order_id},"customerId":{customer_id},'
        f'"productId":{product_id},"quantity":{quantity},"totalCents":{total_cents},'
        f'"createdAt":"{instant_text(created_at)}"}}'
    )


def _instant_sql(column: str) -> str:
    micros = f"mod(extract(microseconds FROM {column})::bigint, 1000000)"
    return (
        f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE "
        f"WHEN {micros} = 0 THEN '' "
        f"WHEN mod({micros}, 1000) = 0 THEN '.' || lpad(({micros} / 1000)::text, 3, '0') "
        f"ELSE '.' || lpad({micros}::text, 6, '0') END || 'Z'"
    )


def payload_sql(event_id: str, order: str, event_type: str = f"'{CREATED}'") -> str:
    """SQL text of the payload for event id expression ``event_id``, the ``orders`` row alias ``order`` and
    the type expression ``event_type`` (a text literal or column; OrderCreated unless given)."""
    return (
        f"""'{{"eventId":"' || {event_id}::text || '","type":"' || {event_type} || '","orderId":' || {order}.id """
        f"""|| ',"customerId":' || {order}.customer_id || ',"productId":' || {order}.product_id """
        f"""|| ',"quantity":' || {order}.quantity || ',"totalCents":' || {order}.total_cents """
        f"""|| ',"createdAt":"' || {_instant_sql(f"{order}.created_at")} || '"}}'"""
    )
