# Checks of the collection. `make test` runs everything, starting from a fresh clone.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := test

ANSIBLE_TEST := hack/ansible-test.sh
# Every section starts with its name and ends with a line that says it passed, and how long it took.
section = @mkdir -p .build/sections && printf '%s\n%s\n' "$(1)" "$$(date +%s)" > .build/sections/$@ && printf '\n========== %s ==========\n' "$(1)"
passed = @{ read -r name; read -r start; } < .build/sections/$@ && printf -- '---------- %s: passed in %d s\n' "$$name" $$(( $$(date +%s) - start ))
# ansible-test units passes when it finds no test at all: refuse that instead.
require-tests = @test -n "$$(find $(1) -name 'test_*.py' -print -quit)" || { echo "no test_*.py under $(1)" >&2; exit 1; }

CORES := 2.21 2.20 2.19
.PHONY: test checks setup changelog-lint licences docs-lint docsite ansible-lint build galaxy-importer sanity units integration reliability examples \
        server-tests benchmark demo demo-test server $(foreach c,$(CORES),sanity-$(c) units-$(c) integration-$(c))

# Add a check to `make test` by listing its target under `checks`, longest first: the checks run two at a
# time (each ansible-test run has its own copy of the tree), and each prints its log whole when it ends.
test:
	@$(MAKE) --no-print-directory -j2 --output-sync=target checks
	@printf '\n========== make test: every check passed ==========\n'

checks: integration-2.21 integration-2.20 integration-2.19 reliability sanity units docsite demo-test \
        ansible-lint galaxy-importer changelog-lint licences docs-lint build examples server-tests

setup:
	$(call section,setup)
	hack/setup.sh
	$(call passed)

changelog-lint: setup
	$(call section,changelog lint)
	.venv/bin/antsibull-changelog lint
	.venv/bin/antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml
	$(call passed)

# Every file names its copyright and licence: an SPDX header, else REUSE.toml.
licences: setup
	$(call section,licences)
	.venv/bin/reuse lint --quiet
	$(call passed)

# The documentation markup of every plugin, and its and the guides' references to options, return values and plugins.
docs-lint: setup
	$(call section,documentation lint)
	PATH="$(CURDIR)/.venv/bin:$$PATH" .venv/bin/antsibull-docs lint-collection-docs --plugin-docs --check-extra-docs-refs \
	    .build/collections/ansible_collections/community/zitadel
	$(call passed)

# The HTML docs site, built offline with Sphinx warnings as errors into .build/docsite/html, then every page opened in
# headless Chromium: what a reader must see, nothing loaded from the network, screenshots in .build/docsite/screenshots.
docsite: setup
	$(call section,docs site)
	hack/docsite/build.sh
	.venv/bin/python -m pytest tests/docsite
	$(call passed)

# ansible-lint --profile production (.ansible-lint) on the role, the demo and the integration targets, offline:
# this collection resolves as community.zitadel through .build/collections, nothing is installed.
ansible-lint: setup
	$(call section,ansible-lint)
	PATH="$(CURDIR)/.venv/bin:$$PATH" ANSIBLE_COLLECTIONS_PATH="$(CURDIR)/.build/collections" .venv/bin/ansible-lint --strict
	$(call passed)

# The collection artifact, as published: checks galaxy.yml, and that build_ignore keeps credentials, keys,
# logs and other local files of a working tree out of it (tests/packaging builds from a tree that holds them).
build: setup
	$(call section,build)
	.venv/bin/ansible-galaxy collection build --force --output-path .build/dist
	.venv/bin/python -m pytest tests/packaging
	$(call passed)

# The artifact of `make build` as Galaxy imports it, offline (hack/galaxy-importer.cfg); any WARNING or ERROR fails.
# It writes importer_result.json where it runs: in .build/importer.
galaxy-importer: build
	$(call section,galaxy-importer)
	mkdir -p .build/importer
	cd .build/importer && GALAXY_IMPORTER_CONFIG="$(CURDIR)/hack/galaxy-importer.cfg" PATH="$(CURDIR)/.venv-importer/bin:$$PATH" \
	    "$(CURDIR)/.venv-importer/bin/python" -m galaxy_importer.main \
	    "$(CURDIR)/.build/dist/community-zitadel-$$(sed -n 's/^version: *//p' "$(CURDIR)/galaxy.yml").tar.gz" | tee log
	if grep -E '^(WARNING|ERROR)' .build/importer/log; then echo 'galaxy-importer: the warnings or errors above' >&2; exit 1; fi
	$(call passed)

sanity: $(foreach c,$(CORES),sanity-$(c))

# Without --python, ansible-test tests every module Python that hack/setup.sh linked.
$(foreach c,$(CORES),sanity-$(c)): sanity-%: setup
	$(call section,sanity: ansible-core $*)
	$(ANSIBLE_TEST) $* sanity
	$(call passed)

units: $(foreach c,$(CORES),units-$(c))

# --venv: ansible-test makes a venv per Python with its own unit test tools (pytest, pytest-mock,
# pytest-xdist, mock) plus tests/unit/requirements.txt. 3.9 is the oldest module Python tested.
units-2.21: setup
	$(call section,units: ansible-core 2.21)
	$(call require-tests,tests/unit)
	$(ANSIBLE_TEST) 2.21 units --venv --python 3.12
	$(ANSIBLE_TEST) 2.21 units --venv --python 3.9
	$(call passed)

units-2.20: setup
	$(call section,units: ansible-core 2.20)
	$(call require-tests,tests/unit)
	$(ANSIBLE_TEST) 2.20 units --venv --python 3.13
	$(call passed)

units-2.19: setup
	$(call section,units: ansible-core 2.19)
	$(call require-tests,tests/unit)
	$(ANSIBLE_TEST) 2.19 units --venv --python 3.11
	$(call passed)

# pytest exits 5 when it collects no test: treat that as a failure, never as a pass.
server-tests: setup
	$(call section,server tests)
	.venv/bin/python -m pytest tests/server || { rc=$$?; \
	    if [ $$rc -eq 5 ]; then echo 'server-tests: pytest collected no test in tests/server' >&2; fi; \
	    exit $$rc; }
	$(call passed)

integration: $(foreach c,$(CORES),integration-$(c))

# Every target under tests/integration/targets, against the local ZITADEL-compatible server. api_versions sweeps the
# protocols of module_utils over every ZITADEL release the server emulates, which ansible-core takes no part in: it
# runs on the newest core only, and the older cores run every other target.
$(foreach c,$(CORES),integration-$(c)): integration-%: setup
	$(call section,integration: ansible-core $*)
	hack/integration.sh $* $(if $(filter-out $(firstword $(CORES)),$*),--exclude api_versions)
	$(call passed)

# Faults, misuse, secrets and TLS, run through ansible-playbook against the local server;
# also checks that docs/reliability.md records what the suite observed.
reliability: setup
	$(call section,reliability)
	.venv/bin/python -m pytest tests/reliability
	$(call passed)

# The EXAMPLES of every module and plugin, run as written against the local server.
examples: setup
	$(call section,module and plugin examples)
	.venv/bin/python -m pytest tests/examples
	$(call passed)

# Times, request counts, ratios and peak memory, side by side (not part of `test`: speed is measured, not asserted).
benchmark: setup
	$(call section,benchmark)
	.venv/bin/python hack/benchmark.py
	$(call passed)

# The quick start: the demo playbook against the local server (changed, ok, then a --check --diff audit).
demo: setup
	$(call section,demo)
	.venv/bin/python hack/with_server.py --state demo/state.yml -- demo/run.sh
	$(call passed)

# The demo as `make demo` runs it, checked step by step from its output; its report.html in headless Chromium (the totals,
# alice's drift, the chart, nothing loaded but the page itself) and a report of 10,000 targets that stays usable.
# Screenshots in .build/demo-audit/ and .build/demo-audit-10000/. UPDATE_SCREENSHOTS=1 also rewrites the audit guide's
# picture of the report, docs/docsite/rst/audit-report.png.
demo-test: setup
	$(call section,demo test)
	.venv/bin/python -m pytest tests/demo
	$(call passed)

server: setup
	.venv/bin/python tests/server/serve.py --state demo/state.yml --port 8080
