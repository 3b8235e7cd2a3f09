#!/usr/bin/env bash
# Runs every test of the workspace from a fresh clone: installs Crossbar.io and Autobahn|Python
# (pinned, into a cached virtualenv) and runs unit, integration, interop and doc tests.
set -euo pipefail
cd "$(dirname "$0")/.."

# Install (or reuse) the pinned Crossbar.io virtualenv once, before the test binaries start.
WAMP_VENV="$(scripts/crossbar-venv.sh | tail -n 1)"
export WAMP_VENV

# The property-based decoding fuzz test runs this many cases per serializer.
export WAMP_FUZZ_CASES="${WAMP_FUZZ_CASES:-5000}"

cargo test --workspace --locked "$@"
