"""The three variants under test, each described once: its jar, its server, its threads, its colour.

Their order here is the order everything lists and plots them in (scenario default, summary,
report, notebook).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

VariantName = Literal["mvc-platform", "mvc-virtual", "webflux"]


@dataclass(frozen=True)
class Variant:
    name: VariantName
    jar: Literal["order_mvc", "order_webflux"]  # the attribute of ``harness.build.Jars`` that runs it
    server: Literal["tomcat", "netty"]
    virtual_threads: bool  # Tomcat's requests and the listeners on virtual threads
    colour: str  # of its lines and bars in every plot


VARIANTS: tuple[Variant, ...] = (
    Variant("mvc-platform", "order_mvc", "tomcat", virtual_threads=False, colour="#1f77b4"),  # blue
    Variant("mvc-virtual", "order_mvc", "tomcat", virtual_threads=True, colour="#2ca02c"),  # green
    Variant("webflux", "order_webflux", "netty", virtual_threads=False, colour="#d62728"),  # red
)
ALL_VARIANTS: tuple[VariantName, ...] = tuple(v.name for v in VARIANTS)
_BY_NAME = {v.name: v for v in VARIANTS}


def variant(name: VariantName) -> Variant:
    return _BY_NAME[name]
