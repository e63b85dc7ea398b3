# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""State documents (YAML or JSON file, or a dict): validation, loading into a Store, export."""
from __future__ import annotations

import copy
import json
import os
from dataclasses import asdict
from pathlib import Path

import yaml
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from .store import RELEASES, Aggregate, Entry, Org, Settings, Store, User, now
from .wire import decode_bytes, encode_bytes

MAX_KEY_RUNES = 200
MAX_VALUE_BYTES = 500000


class StateError(ValueError):
    """The state document is invalid; the message names the entry."""


def read_document(source: dict | str | Path) -> object:
    """A state document from a dict or a .yml/.yaml/.json file."""
    if not isinstance(source, (str, os.PathLike)):
        return copy.deepcopy(source)
    path = Path(source)
    if path.suffix not in (".yml", ".yaml", ".json"):
        raise StateError(f"{path}: state files must end in .yml, .yaml or .json")
    try:
        text = path.read_text(encoding="utf-8")
        doc = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise StateError(f"{path}: {exc}") from exc
    return {} if doc is None else doc


def _mapping(value: object, where: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict:
    if not isinstance(value, dict):
        raise StateError(f"{where}: must be a mapping")
    unknown = sorted(str(name) for name in value if name not in allowed)
    if unknown:
        raise StateError(f"{where}: unknown field(s) {', '.join(unknown)} (allowed: {', '.join(allowed)})")
    missing = [name for name in required if name not in value]
    if missing:
        raise StateError(f"{where}: missing required field(s) {', '.join(missing)}")
    return value


def _list(value: object, where: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise StateError(f"{where}: must be a list")
    return value


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise StateError(f"{where}: must be a non-empty string")
    return value


def _ident(value: object, where: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    return _text(value, where)


def _flag(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise StateError(f"{where}: must be true or false")
    return value


def _count(value: object, where: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise StateError(f"{where}: must be an integer >= {minimum}")
    return value


class _Loader:
    def __init__(self, doc: object):
        doc = _mapping(doc, "state", ("settings", "orgs"))
        self.store = Store(self._settings(doc.get("settings") or {}))
        self.grants: list[tuple[User, object, str]] = []
        self.claimed: dict[tuple[str, str], str] = {}
        for index, org_doc in enumerate(_list(doc.get("orgs"), "orgs")):
            self._org(org_doc, f"orgs[{index}]")
        for user, permissions, where in self.grants:
            user.permissions = self._permissions(permissions, user.owner, where)

    @staticmethod
    def _settings(doc: object) -> Settings:
        default = Settings()
        doc = _mapping(doc, "settings", tuple(asdict(default)))
        release = doc.get("release", default.release)
        if release not in RELEASES:
            raise StateError(f"settings.release: must be one of {', '.join(RELEASES)}")
        return Settings(
            token_lifetime=_count(doc.get("token_lifetime", default.token_lifetime), "settings.token_lifetime", 1),
            legacy=_flag(doc.get("legacy", default.legacy), "settings.legacy"),
            max_query_limit=_count(doc.get("max_query_limit", default.max_query_limit), "settings.max_query_limit"),
            max_message_bytes=_count(doc.get("max_message_bytes", default.max_message_bytes), "settings.max_message_bytes"),
            release=release,
            v1_metadata=_flag(doc.get("v1_metadata", default.v1_metadata), "settings.v1_metadata"),
            permission_check_v2=_flag(doc.get("permission_check_v2", default.permission_check_v2), "settings.permission_check_v2"),
        )

    def _claim(self, kind: str, value: str, where: str) -> None:
        if (kind, value) in self.claimed:
            raise StateError(f"{where}: {kind} {value!r} is already used by {self.claimed[kind, value]}")
        self.claimed[kind, value] = where

    def _org(self, doc: object, where: str) -> None:
        fields = ("id", "name", "domain", "user_login_must_be_domain", "sequence", "metadata", "users", "service_accounts")
        doc = _mapping(doc, where, fields, ("id",))
        org = Org(id=_ident(doc["id"], f"{where}.id"), owner="", name=str(doc.get("name") or ""),
                  user_login_must_be_domain=_flag(doc.get("user_login_must_be_domain", False), f"{where}.user_login_must_be_domain"))
        org.owner = org.id
        self._claim("id", org.id, where)
        if "domain" in doc:
            org.domain = _text(doc["domain"], f"{where}.domain")
            self._claim("domain", org.domain.lower(), where)  # a verified domain belongs to one org of the instance
        self._metadata(org, doc, where)
        self.store.orgs[org.id] = org
        for index, user_doc in enumerate(_list(doc.get("users"), f"{where}.users")):
            self._user(org, user_doc, f"{where}.users[{index}]", machine=False)
        for index, user_doc in enumerate(_list(doc.get("service_accounts"), f"{where}.service_accounts")):
            self._user(org, user_doc, f"{where}.service_accounts[{index}]", machine=True)

    def _user(self, org: Org, doc: object, where: str, machine: bool) -> None:
        fields = ("id", "username", "sequence", "metadata")
        if machine:
            fields += ("permissions", "pats", "keys", "client_id", "client_secret")
        doc = _mapping(doc, where, fields, ("id", "username"))
        user = User(id=_ident(doc["id"], f"{where}.id"), owner=org.id, username=_text(doc["username"], f"{where}.username"), machine=machine)
        self._claim("id", user.id, where)
        self._claim(f"username in org {org.id}", user.username, where)
        for name in org.login_names(user.username):
            self._claim("login name (ignoring case)", name.lower(), where)  # unique in the instance, like ZITADEL's
        self._metadata(user, doc, where)
        if machine:
            self._credentials(user, doc, where)
            self.grants.append((user, doc.get("permissions"), f"{where}.permissions"))
        self.store.users[user.id] = user

    def _credentials(self, user: User, doc: dict, where: str) -> None:
        for index, token in enumerate(_list(doc.get("pats"), f"{where}.pats")):
            self._claim("personal access token", _text(token, f"{where}.pats[{index}]"), where)
            user.pats.append(token)
        for index, key_doc in enumerate(_list(doc.get("keys"), f"{where}.keys")):
            at = f"{where}.keys[{index}]"
            key_doc = _mapping(key_doc, at, ("id", "public_key"), ("id", "public_key"))
            key_id, pem = _ident(key_doc["id"], f"{at}.id"), _text(key_doc["public_key"], f"{at}.public_key")
            try:
                key = load_pem_public_key(pem.encode("ascii"))
            except (ValueError, UnicodeEncodeError) as exc:
                raise StateError(f"{at}.public_key: not a PEM public key ({exc})") from exc
            if not isinstance(key, rsa.RSAPublicKey):
                raise StateError(f"{at}.public_key: must be an RSA key (JWT profile uses RS256)")
            if key_id in user.keys:
                raise StateError(f"{at}.id: duplicate key id {key_id!r}")
            user.keys[key_id] = pem
        if "client_id" in doc or "client_secret" in doc:
            user.client_id = _text(doc.get("client_id"), f"{where}.client_id")
            user.client_secret = _text(doc.get("client_secret"), f"{where}.client_secret")
            self._claim("client_id", user.client_id, where)

    def _permissions(self, value: object, own_org: str, where: str) -> dict[str, frozenset[str]]:
        scopes = {own_org: value} if isinstance(value, list) else value or {}
        if not isinstance(scopes, dict):
            raise StateError(f"{where}: must be a list of permissions or a mapping of org id (or '*') to such a list")
        result = {}
        for scope, perms in scopes.items():
            scope = str(scope)
            if scope != "*" and scope not in self.store.orgs:
                raise StateError(f"{where}: unknown org id {scope!r} (use an org id of this state or '*')")
            result[scope] = frozenset(_text(perm, f"{where}[{scope!r}]") for perm in _list(perms, f"{where}[{scope!r}]"))
        return result

    @staticmethod
    def _metadata(agg: Aggregate, doc: dict, where: str) -> None:
        items = doc.get("metadata") or {}
        if not isinstance(items, dict):
            raise StateError(f"{where}.metadata: must be a mapping of key to value")
        counter = 1
        for key, raw in items.items():
            at = f"{where}.metadata[{key!r}]"
            if not isinstance(key, str) or not 1 <= len(key) <= MAX_KEY_RUNES:
                raise StateError(f"{at}: keys must be strings of 1 to {MAX_KEY_RUNES} characters")
            sequence = None
            if isinstance(raw, str):
                value = raw.encode("utf-8")
            else:
                raw = _mapping(raw, at, ("base64", "sequence"), ("base64",))
                try:
                    value = decode_bytes(_text(raw["base64"], f"{at}.base64"))
                except ValueError as exc:
                    raise StateError(f"{at}.base64: invalid base64 ({exc})") from exc
                if "sequence" in raw:
                    sequence = _count(raw["sequence"], f"{at}.sequence", 1)
            if not 1 <= len(value) <= MAX_VALUE_BYTES:
                raise StateError(f"{at}: values must have 1 to {MAX_VALUE_BYTES} bytes")
            counter = max(counter, sequence) if sequence else counter + 1
            moment = now()
            agg.metadata[key] = Entry(value, sequence or counter, moment, moment)
            agg.metadata_changed = moment
        agg.sequence = max(counter, _count(doc.get("sequence", 1), f"{where}.sequence", 1))


def build_store(source: dict | str | Path) -> Store:
    """Validate a state document and load it; raises StateError."""
    return _Loader(read_document(source)).store


def _dump_aggregate(agg: Aggregate) -> dict:
    return {
        "id": agg.id,
        "sequence": agg.sequence,
        "metadata": {key: {"base64": encode_bytes(entry.value), "sequence": entry.sequence} for key, entry in agg.metadata.items()},
    }


def _dump_user(user: User) -> dict:
    doc = _dump_aggregate(user)
    doc["username"] = user.username
    if user.machine:
        doc["permissions"] = {scope: sorted(perms) for scope, perms in user.permissions.items()}
        doc["pats"] = list(user.pats)
        doc["keys"] = [{"id": key_id, "public_key": pem} for key_id, pem in user.keys.items()]
        if user.client_id:
            doc["client_id"], doc["client_secret"] = user.client_id, user.client_secret
    return doc


def dump_store(store: Store) -> dict:
    """The whole state as a document that build_store accepts."""
    orgs = []
    for org in store.orgs.values():
        doc = _dump_aggregate(org)
        doc["name"] = org.name
        if org.domain:
            doc["domain"] = org.domain
        doc["user_login_must_be_domain"] = org.user_login_must_be_domain
        members = [user for user in store.users.values() if user.owner == org.id]
        doc["users"] = [_dump_user(user) for user in members if not user.machine]
        doc["service_accounts"] = [_dump_user(user) for user in members if user.machine]
        orgs.append(doc)
    return {"settings": _dump_settings(store.settings), "orgs": orgs}


# the settings that predate the v2 API are always exported; the later ones only when changed, so older exports stay identical
_BASE_SETTINGS = ("token_lifetime", "legacy", "max_query_limit", "max_message_bytes")


def _dump_settings(settings: Settings) -> dict:
    default = asdict(Settings())
    return {name: value for name, value in asdict(settings).items() if name in _BASE_SETTINGS or value != default[name]}
