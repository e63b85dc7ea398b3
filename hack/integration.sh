#!/usr/bin/env bash
# Run the integration targets of one ansible-core line against the local ZITADEL-compatible server:
#   hack/integration.sh <2.21|2.19> [ansible-test integration args...]
# The server gets tests/integration/state.yml plus a fresh service account key for the JWT-profile
# tests; tests/integration/integration_config.yml tells the targets where it runs. To run the same
# targets against a real ZITADEL, write that file yourself and call hack/ansible-test.sh directly.
set -euo pipefail
cd "$(dirname "$0")/.."
core=$1
shift
venv=.venv; [ "$core" = 2.19 ] && venv=.venv-2.19
mkdir -p .build
exec "$venv/bin/python" hack/with_server.py \
    --state tests/integration/state.yml \
    --config-template tests/integration/integration_config.yml.template \
    --config tests/integration/integration_config.yml \
    --jwt-key 400000000000000900=.build/integration-key.json \
    -- hack/ansible-test.sh "$core" integration --local --color no "$@"
