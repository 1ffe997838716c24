#!/usr/bin/env bash
# Runs every benchmark scenario against chronik-server beside librdkafka's mock cluster and the
# machine's raw limits, and writes bench/results/<UTC date>.md. See bench/README.md.
#
#   bench/run.sh                      # full run (about 5 minutes on a 2-core machine, plus the build)
#   bench/run.sh --quick              # smoke run: 3 s per measurement
#   bench/run.sh --scenarios S1,S3    # a subset (S3 reads what S1 wrote, so S1 runs with it)
#   bench/run.sh --cluster-bootstrap 127.0.0.1:9192,127.0.0.1:9292,127.0.0.1:9392 --cluster-pids 11,12,13
#
# Every other option is passed to `chronik-bench run` (bench/Chronik.Bench/Program.cs lists them).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[bench] %s\n' "$*"; }

# The profiler tools (dotnet-trace, dotnet-counters) live outside the repository.
tools="${CHRONIK_BENCH_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/chronik-bench/tools}"
tool_version=10.0.750501

has_option() {
  local name=$1
  shift
  for argument in "$@"; do
    [ "$argument" = "$name" ] && return 0
  done
  return 1
}

install_tools() {
  mkdir -p "$tools"
  for tool in dotnet-trace dotnet-counters; do
    if [ ! -x "$tools/$tool" ]; then
      log "installing $tool $tool_version into $tools"
      dotnet tool install --tool-path "$tools" "$tool" --version "$tool_version" >/dev/null \
        || log "could not install $tool: profiles will be reported as not taken"
    fi
  done
}

if ! has_option never "$@"; then
  install_tools
fi

log "building chronik-server and chronik-bench (Release)"
dotnet build src/Chronik.Server -c Release -nologo -v quiet -clp:ErrorsOnly
dotnet build bench/Chronik.Bench -c Release -nologo -v quiet -clp:ErrorsOnly

args=()
has_option --out "$@" || args+=(--out "bench/results/$(date -u +%Y-%m-%d).md")
has_option --tools-dir "$@" || args+=(--tools-dir "$tools")
if ! has_option --revision "$@"; then
  revision="$(git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown) @ $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  git diff --quiet HEAD -- src 2>/dev/null || revision="$revision + uncommitted changes in src/"
  args+=(--revision "$revision")
fi

exec bench/Chronik.Bench/bin/Release/net10.0/chronik-bench run "${args[@]}" "$@"
