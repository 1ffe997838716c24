#!/usr/bin/env bash
# Regenerates src/Chronik.Protocol/Messages/Generated from Kafka's JSON message specs
# (default ../shared/kafka-message-specs beside the repository root). Extra arguments
# (--specs DIR, --out DIR) go to the generator.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet run --project tools/Chronik.Codegen -c Release -- "$@"
