#!/usr/bin/env bash
# Sets up a fresh machine: Debian packages, the Python environment, the Java jars.
# Idempotent: a second run only rebuilds what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-system-deps.sh

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[dev]'

# The newest JDK with javac builds the jars (release 21); the harness finds it the same way.
JAVA_HOME="$(.venv/bin/python -c 'from harness.jdks import build_jdk; print(build_jdk().home)')"
export JAVA_HOME
mkdir -p .work
echo "java-apps with JAVA_HOME=$JAVA_HOME (build log: .work/build.log)"
start=$(date +%s)
.venv/bin/python -c "from pathlib import Path; from harness.build import ensure_jars; jars, built = ensure_jars(Path('java-apps'), Path('.work/build.log')); print('jars built now' if built else 'jars up to date')"
echo "java-apps built in $(( $(date +%s) - start ))s"

# The open-model load driver (vegeta, pinned; Go module proxy), built once into ~/.cache/loom-bench.
.venv/bin/python -c "from pathlib import Path; from harness.load.vegeta import ensure_vegeta; print('vegeta:', ensure_vegeta(Path('.work/vegeta-build.log')))"
