#!/usr/bin/env bash
# Starts a 3-node cluster one node at a time, GAP seconds apart (default 60), then has kcat, kafka-python and
# Confluent.Kafka each produce through one node (acks=all) and read the whole topic back through it.
# It runs tests/Chronik.Cluster.Integration's StartupOrderTests with CHRONIK_STARTUP_GAP_SECONDS set; CI runs the
# same test without the gaps. Usage: scripts/staggered-cluster.sh [gap-seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
gap="${1:-60}"
if ! [[ "$gap" =~ ^[0-9]+$ ]]; then
  echo "staggered-cluster.sh: gap-seconds must be a whole number, got '$gap'" >&2
  exit 2
fi
dotnet build tests/Chronik.Cluster.Integration -c Release --nologo -v q
CHRONIK_STARTUP_GAP_SECONDS="$gap" dotnet test tests/Chronik.Cluster.Integration -c Release --no-build \
  --filter "FullyQualifiedName~StartupOrderTests" --logger "console;verbosity=normal"
