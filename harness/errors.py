"""Every error the harness raises on purpose.

Each one says what went wrong, where, and what to do next; the CLI prints the message and
exits with the class's ``exit_code`` instead of a traceback.

    HarnessError
    ├── ScenarioError          the scenario file is unreadable or invalid (exit 2)
    ├── RulesError             a gate rules file is invalid (exit 2)
    ├── EnvironmentError_      the machine lacks something: a JDK, a binary, a free port
    ├── BuildError             Maven failed to build the jars
    ├── InfraError             PostgreSQL (or a broker) failed to start, initialise or seed
    ├── AppError               an app failed to start, exited early or never became healthy
    ├── VerificationError      an endpoint answered wrongly before any load; lists every problem
    ├── LoadError              the load generator failed or produced no usable recording
    └── ResultsError           a results folder is missing, incomplete or of an unknown format
"""

from __future__ import annotations

from collections.abc import Sequence


class HarnessError(Exception):
    """Base class: a failure the harness understands and can explain."""

    exit_code = 1


class ScenarioError(HarnessError):
    """The scenario is invalid. ``problems`` holds one line per problem, each naming its YAML path."""

    exit_code = 2

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = list(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        count = len(self.problems)
        super().__init__(
            f"{source}: {count} problem{'s' if count != 1 else ''} in the scenario; nothing was started.\n"
            f"{lines}"
        )


class RulesError(HarnessError):
    """A gate rules file is invalid; the message names the line and field."""

    exit_code = 2


class EnvironmentError_(HarnessError):
    """Something the harness needs is not on this machine."""


class BuildError(HarnessError):
    """The Maven build failed."""


class InfraError(HarnessError):
    """Infrastructure (PostgreSQL, brokers) failed to start or initialise."""


class AppError(HarnessError):
    """An application process failed to start or to become healthy."""


class VerificationError(HarnessError):
    """At least one endpoint answered wrongly; nothing was loaded."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(
            f"verification failed with {len(self.problems)} problem(s); no load was sent.\n{lines}"
        )


class LoadError(HarnessError):
    """The load generator failed or produced no usable recording."""


class ResultsError(HarnessError):
    """A results folder cannot be read."""
