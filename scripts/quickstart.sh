#!/usr/bin/env bash
# One command for a fresh machine: set everything up, then run the quickstart scenario end to end.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/harness run scenarios/quickstart.yaml "$@"
