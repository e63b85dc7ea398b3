# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Semantics rows that protoc-gen-validate pre-empts over HTTP (checked on the store),
and the pre-v4 behaviour selected with settings.legacy."""
from __future__ import annotations

import pytest

from conftest import ALICE, ORG, assert_error, b64, unb64
from zitadel_server.errors import ApiError
from zitadel_server.state import build_store
from zitadel_server.store import Target

USER = Target("user", ALICE, ORG)
ORG_TARGET = Target("org", ORG, ORG)


@pytest.fixture
def store(initial_state):
    """A fresh store of the test state."""
    return build_store(initial_state)


def raises(call, code: int, error_id: str) -> None:
    """Assert the command fails with that gRPC code and error id."""
    with pytest.raises(ApiError) as error:
        call()
    assert (error.value.code, error.value.error_id) == (code, error_id)


@pytest.mark.parametrize("target, invalid, remove_blank, bulk_remove_blank", [
    (USER, "META-2m00f", "META-2n0fs", "COMMAND-m29ds"),
    (ORG_TARGET, "META-2ml0f", "META-2n0f1", "COMMAND-m19ds"),
], ids=["user", "org"])
def test_domain_checks_behind_pgv(store, target, invalid, remove_blank, bulk_remove_blank):
    raises(lambda: store.set_metadata(target, "region" if target is ORG_TARGET else "team", b""), 3, invalid)
    raises(lambda: store.bulk_set_metadata(target, [("ok", b"1"), ("", b"1")]), 3, invalid)
    raises(lambda: store.remove_metadata(target, ""), 3, remove_blank)
    raises(lambda: store.bulk_remove_metadata(target, [""]), 3, bulk_remove_blank)
    assert "ok" not in store.list_metadata(target)[0]


def test_user_empty_value_for_a_missing_key_is_a_noop(store):
    assert store.set_metadata(USER, "absent", b"") == (0, None, ORG)
    assert "absent" not in store.users[ALICE].metadata


def test_org_not_found(store):
    raises(lambda: store.set_metadata(Target("org", "404", "404"), "k", b"v"), 9, "COMMAND-QXPGs")
    raises(lambda: store.bulk_remove_metadata(Target("org", "404", "404"), ["k"]), 9, "COMMAND-QXPGs")


def test_empty_lists_are_checked_before_the_user(store):
    raises(lambda: store.bulk_set_metadata(Target("user", "404", ORG), []), 9, "META-9mm2d")
    raises(lambda: store.bulk_remove_metadata(Target("user", "404", ORG), []), 9, "META-9mm2d")


@pytest.fixture
def legacy(api, initial_state):
    """The test state with settings.legacy (pre-v4 builds)."""
    assert api.control("POST", "seed", dict(initial_state, settings={"legacy": True})).status_code == 200
    return api


def test_legacy_same_value_user_set_pushes_an_event(legacy):
    first = legacy.user_set(ALICE, "team", "platform").json()["details"]
    second = legacy.user_set(ALICE, "team", "platform").json()["details"]
    assert int(second["sequence"]) == int(first["sequence"]) + 1
    details = legacy.user_get(ALICE, "team").json()["metadata"]["details"]
    assert details["creationDate"] == details["changeDate"] == second["creationDate"]


def test_legacy_list_limit_is_unlimited(legacy):
    legacy.call("POST", f"/users/{ALICE}/metadata/_bulk", {"metadata": [{"key": f"k{index}", "value": b64("v")} for index in range(1100)]})
    assert len(legacy.user_list(ALICE).json()["result"]) == 1101
    assert len(legacy.user_list(ALICE, {"query": {"limit": 1050}}).json()["result"]) == 1050


def test_legacy_user_not_found_id(legacy):
    assert_error(legacy.user_set("404", "k", "v"), 400, 9, "COMMAND-4M0fs")
    assert unb64(legacy.user_get(ALICE, "team").json()["metadata"]["value"]) == "platform"
