"""The endpoints a load may hit, and the mix each workload profile sends.

Shared by the scenario (validation), the driver (environment for Locust) and the locustfile (which
runs in the Locust subprocess; this module imports nothing that would pull gevent into the harness).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

EndpointName = Literal["orders", "quotes", "legacy", "customers", "inventory", "delayed"]


@dataclass(frozen=True)
class Endpoint:
    name: EndpointName
    path: str  # a template with {id} (and {rounds} for quotes, {delay} for delayed)
    request_name: str  # one stats row per endpoint in Locust
    ids: Literal["orders", "customers"]  # which seeded id range the requests draw from


ENDPOINTS: Mapping[str, Endpoint] = {
    "orders": Endpoint("orders", "/orders/{id}", "/orders/{id}", "orders"),
    "quotes": Endpoint("quotes", "/quotes/{id}?rounds={rounds}", "/quotes/{id}", "orders"),
    "legacy": Endpoint("legacy", "/legacy/customers/{id}", "/legacy/customers/{id}", "customers"),
    # The downstream service's own endpoints, without delay: only to warm it up before any variant
    # is measured, so the first variant does not pay for JIT-compiling the downstream.
    "customers": Endpoint("customers", "/customers/{id}?delayMs=0", "/customers/{id}", "customers"),
    "inventory": Endpoint("inventory", "/inventory/{id}?delayMs=0", "/inventory/{id}", "orders"),
    # The downstream's fixed-delay answer: the known answer `harness calibrate` measures the instrument on.
    "delayed": Endpoint("delayed", "/customers/{id}?delayMs={delay}", "/customers/{id}", "customers"),
}
DOWNSTREAM_MIX: Mapping[str, int] = {"customers": 1, "inventory": 1}

PROFILE_MIX: Mapping[str, Mapping[str, int]] = {
    "io-bound": {"orders": 1},
    "cpu-bound": {"quotes": 1},
    "pinning": {"legacy": 1},
}


def encode_mix(mix: Mapping[str, int]) -> str:
    """``{"orders": 2, "quotes": 1}`` → ``orders:2,quotes:1`` (zero weights dropped)."""
    return ",".join(f"{name}:{weight}" for name, weight in mix.items() if weight > 0)


def decode_mix(text: str) -> dict[str, int]:
    mix: dict[str, int] = {}
    for part in filter(None, text.split(",")):
        name, _, weight = part.partition(":")
        if name not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {name!r} in mix {text!r}; known: {', '.join(ENDPOINTS)}")
        mix[name] = int(weight)
    if not mix or sum(mix.values()) <= 0:
        raise ValueError(f"mix {text!r} has no endpoint with a positive weight")
    return mix
