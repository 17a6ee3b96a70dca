"""Benchmark harness: Spring MVC on platform threads vs virtual threads vs WebFlux."""

__version__ = "0.1.0"
