"""The ``ORDERS_*`` environment of the event-driven half (design.md) before a segment names its broker.

Every knob of the consume section reaches the apps through ``harness.settings.CATALOGUE``; the
broker's own variables (``Broker.env()``) come on top per segment. Until then ``ORDERS_BROKER=none``:
the verification starts each app without a broker.
"""

from __future__ import annotations

NO_BROKER = {"ORDERS_BROKER": "none"}
