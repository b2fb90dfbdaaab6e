#!/usr/bin/env bash
# One command, fresh machine: install the project, start the local Kafka 3.9.1 broker, create
# the topics of topics.yaml, produce sample raw events, run the scrubber over them (exactly-once,
# until the inputs are drained), and print raw input next to what reached the output topics.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
KAFKA="$ROOT/deploy/local/kafka.sh"
CONFIG="${1:-topics.yaml}"

python -m pip install -q --disable-pip-version-check -e .
"$KAFKA" fetch
"$KAFKA" start

# Demo keys live in the git-ignored .local/keys; production keys come from a secret store.
mkdir -p .local/keys
for purpose in pseudonym encryption quarantine; do
  file=".local/keys/$purpose.key"
  [[ -f "$file" ]] || scrubber keygen -o "$file"
  export "SCRUBBER_${purpose^^}_KEY_FILE=$ROOT/$file"
done

scrubber topics check "$CONFIG"
scrubber topics create --config "$CONFIG"
python -m scrubber.demo produce "$CONFIG"
scrubber run --config "$CONFIG" --idle-exit-seconds 8
python -m scrubber.demo show "$CONFIG"
echo "broker still running on 127.0.0.1:19092; stop it with deploy/local/kafka.sh stop"
