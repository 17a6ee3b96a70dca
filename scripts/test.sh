#!/usr/bin/env bash
# Every test: lint, types, the Java tests against real PostgreSQL, the downstream service, Kafka and RabbitMQ,
# then the Python unit, integration and end-to-end tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh

echo "== ruff"
.venv/bin/ruff check harness tests
echo "== mypy"
.venv/bin/mypy harness

echo "== maven tests (real PostgreSQL, downstream, Kafka and RabbitMQ, started by the harness)"
JAVA_HOME="$(.venv/bin/python -c 'from harness.jdks import build_jdk; print(build_jdk().home)')"
export JAVA_HOME
.venv/bin/harness infra exec --kafka --rabbitmq -- mvn -B -f java-apps/pom.xml test

echo "== pytest"
.venv/bin/pytest -q "$@"
