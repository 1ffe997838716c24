#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs what the tests need (kcat, and
# kafka-python with its codec modules from Debian, kafkajs from npm, NuGet packages), builds, runs every test
# project, and ends with one line "N passed, M failed[, K skipped]" computed from the TRX files.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

log() { printf '[test.sh] %s\n' "$*"; }

install_debian_packages() {
  local missing=()
  command -v kcat >/dev/null 2>&1 || missing+=(kcat)
  /usr/bin/python3 -c 'import kafka' >/dev/null 2>&1 || missing+=(python3-kafka)
  # kafka-python's snappy, lz4 and zstd codecs: the compat tests produce with each (not dependencies of python3-kafka).
  /usr/bin/python3 -c 'import snappy' >/dev/null 2>&1 || missing+=(python3-snappy)
  /usr/bin/python3 -c 'import lz4.frame' >/dev/null 2>&1 || missing+=(python3-lz4)
  /usr/bin/python3 -c 'import zstandard' >/dev/null 2>&1 || missing+=(python3-zstandard)
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]} with apt-get"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null \
    || { log "apt-get install ${missing[*]} failed; the client tests that need them will fail"; }
}

install_node_packages() {
  local dir=tests/Chronik.Compat/js
  [ -f "$dir/package.json" ] || return 0
  if [ ! -d "$dir/node_modules/kafkajs" ]; then
    log "installing kafkajs with npm"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || log "npm ci failed; kafkajs tests will fail"
  fi
}

install_debian_packages
install_node_packages

results="$root/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

log "restoring and building (Release)"
dotnet build Chronik.slnx -c Release -nologo -v quiet -clp:ErrorsOnly || { echo "0 passed, 1 failed"; exit 1; }

# Projects run one after another: several of them start broker processes, and the CI box has 2 cores.
status=0
projects=0
for proj in tests/*/*.csproj; do
  name=$(basename "$proj" .csproj)
  [ "$name" = "Chronik.Testing" ] && continue
  log "running $name"
  projects=$((projects + 1))
  dotnet test "$proj" -c Release --no-build -nologo -v quiet \
    --logger "trx;LogFileName=$name.trx" --results-directory "$results" \
    --blame-hang-timeout 10m -- RunConfiguration.TreatNoTestsAsError=false || status=1
done

summary=$(CHRONIK_EXPECTED_TRX=$projects python3 scripts/trx-summary.py "$results") || { summary="0 passed, 1 failed"; status=1; }
echo "$summary"
case "$summary" in
  *", 0 failed"*) ;;
  *) status=1 ;;
esac
exit $status
