#!/usr/bin/env bash
# The project's test command (README, .ci/run): installs the project with its dev extras, fetches
# and starts the local Kafka 3.9.1 broker the integration tests run against, runs the whole suite,
# and stops the broker again if this script started it. Extra arguments go to pytest.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
KAFKA="$ROOT/deploy/local/kafka.sh"

python -m pip install -q --disable-pip-version-check -e '.[dev]'
"$KAFKA" fetch
started=0
if ! "$KAFKA" status >/dev/null 2>&1; then
  "$KAFKA" start
  started=1
fi
cleanup() { if [[ $started == 1 ]]; then "$KAFKA" stop || true; fi; }
trap cleanup EXIT

export KAFKA_BOOTSTRAP="${KAFKA_BOOTSTRAP:-127.0.0.1:19092}"
python -m pytest -q "$@"
