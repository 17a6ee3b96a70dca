#!/usr/bin/env bash
# Every test: lint, types, the Java tests against real PostgreSQL, the downstream service, Kafka and RabbitMQ,
# then the Python unit, integration and end-to-end tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh

# The Docker tests (infra: docker) need an engine; they fail, never skip, without one. Start a private
# one unless an engine answers already, and stop it at the end only if it was started here.
echo "== docker engine"
engine_started_here=false
if ! bash scripts/docker-engine.sh status >/dev/null 2>&1; then
    bash scripts/docker-engine.sh start
    engine_started_here=true
fi
trap 'if $engine_started_here; then bash scripts/docker-engine.sh stop; fi' EXIT

echo "== ruff"
.venv/bin/ruff check harness tests
echo "== mypy"
.venv/bin/mypy harness

echo "== maven tests (real PostgreSQL, downstream, Kafka and RabbitMQ, started by the harness)"
JAVA_HOME="$(.venv/bin/python -c 'from harness.jdks import build_jdk; print(build_jdk().home)')"
export JAVA_HOME
.venv/bin/harness infra exec --kafka --rabbitmq -- mvn -B -f java-apps/pom.xml test

echo "== pytest"
.venv/bin/pytest -q --durations=20 "$@"
