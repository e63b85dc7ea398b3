#!/usr/bin/env bash
# Run the integration targets of one ansible-core line against the local ZITADEL-compatible server:
#   hack/integration.sh <2.21|2.20|2.19> [ansible-test integration args...]
# The server gets tests/integration/state.yml plus a fresh service account key for the JWT-profile
# tests; the integration_config.yml written beside that key under .build/integration-<core>/ tells the
# targets where it runs, so the ansible-core lines can run side by side. To run the same targets
# against a real ZITADEL, write tests/integration/integration_config.yml yourself (see its .template)
# and call hack/ansible-test.sh <core> integration directly.
set -euo pipefail
cd "$(dirname "$0")/.."
core=$1
shift
venv=.venv; [ "$core" = 2.21 ] || venv=.venv-$core
run=.build/integration-$core
mkdir -p "$run"
export INTEGRATION_CONFIG=$run/integration_config.yml
exec "$venv/bin/python" hack/with_server.py \
    --state tests/integration/state.yml \
    --config-template tests/integration/integration_config.yml.template \
    --config "$INTEGRATION_CONFIG" \
    --jwt-key "400000000000000900=$run/service-account-key.json" \
    -- hack/ansible-test.sh "$core" integration --local --color no "$@"
