#!/usr/bin/env bash
# The demo, run by `make demo` while the local ZITADEL-compatible server runs (hack/with_server.py
# sets ZITADEL_API_URL): apply (changed), apply again (ok), then someone edits a value in ZITADEL,
# a check-mode run with --diff shows the drift without writing, and the audit role writes it into
# a report (HTML, JSON, JUnit) under .build/demo-audit, again without writing to ZITADEL.
set -euo pipefail
cd "$(dirname "$0")/.."
export ZITADEL_TOKEN=demo-pat-0000-not-a-secret
export ANSIBLE_COLLECTIONS_PATH=$PWD/.build/collections ANSIBLE_NOCOLOR=1 ANSIBLE_PYTHON_INTERPRETER=$PWD/.venv/bin/python
playbook() { .venv/bin/ansible-playbook -i localhost, "$@"; }
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "1. First run: ZITADEL gets the declared metadata (changed)"
playbook demo/playbook.yml

step "2. Second run: everything is in place, nothing is written (ok)"
playbook demo/playbook.yml

step "3. Someone changes alice's team directly in ZITADEL"
curl -sS -X POST "$ZITADEL_API_URL/management/v1/users/300000000000000101/metadata/team" \
    -H "Authorization: Bearer $ZITADEL_TOKEN" -H 'x-zitadel-orgid: 300000000000000001' \
    -H 'Content-Type: application/json' -d "{\"value\": \"$(printf 'sales' | base64)\"}"
echo

step "4. Audit with --check --diff: the drift is shown, nothing is written"
playbook demo/playbook.yml --check --diff

step "5. ZITADEL still holds the drifted value (check mode wrote nothing)"
curl -sS "$ZITADEL_API_URL/management/v1/users/300000000000000101/metadata/team" \
    -H "Authorization: Bearer $ZITADEL_TOKEN" -H 'x-zitadel-orgid: 300000000000000001' |
    .venv/bin/python -c 'import base64, json, sys; m = json.load(sys.stdin)["metadata"]; print(m["key"], "=", base64.b64decode(m["value"]).decode())'

step "6. Audit report: the drift for people and for CI, still writing nothing"
report_dir=$PWD/.build/demo-audit
playbook demo/audit.yml -e audit_dest="$report_dir"
printf '\nOpen the report: %s\n' "$report_dir/report.html"
