# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Reconcile metadata: encode the desired values, compare with the current bytes, plan, apply, report.

Everything here works on one target at a time and on plain {key: bytes} maps, so single-key and
bulk modules, users and organisations, and later many targets per task share it.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import json

from ansible_collections.community.zitadel.plugins.module_utils._errors import PartialApplyError, ZitadelConfigError, ZitadelError

MAX_KEY_LENGTH = 200
MAX_VALUE_BYTES = 500000
ENCODINGS = ('text', 'base64', 'json')
MASK = '<sensitive>'
MASK_CHANGED = '<sensitive, changed>'


class Codec:
    """How the values of one task are given, compared and shown: text, base64 or json."""

    def __init__(self, encoding):
        if encoding not in ENCODINGS:
            raise ZitadelConfigError('encoding must be one of %s, not %r.' % (', '.join(ENCODINGS), encoding))
        self.encoding = encoding

    def encode(self, key, value):
        """The bytes to store for a desired value, validated."""
        if self.encoding == 'json':
            if isinstance(value, str):
                try:
                    value = json.loads(value)
                except ValueError as exc:
                    raise ZitadelConfigError('The value of key %r is not valid JSON (%s). With encoding=json give a '
                                             'structure, or a string that holds a JSON document.' % (key, exc)) from None
            data = json.dumps(value, separators=(',', ':'), ensure_ascii=False).encode('utf-8')
        elif not isinstance(value, str):
            raise ZitadelConfigError('The value of key %r must be a string with encoding=%s, not %s. Quote it, or use '
                                     'encoding=json for structured values.' % (key, self.encoding, type(value).__name__))
        elif self.encoding == 'base64':
            try:
                data = base64.b64decode(value.strip(), validate=True)
            except (binascii.Error, ValueError):
                raise ZitadelConfigError('The value of key %r is not valid base64. With encoding=base64 give the '
                                         'standard base64 form of the bytes.' % key) from None
        else:
            data = value.encode('utf-8')
        if not 1 <= len(data) <= MAX_VALUE_BYTES:
            raise ZitadelConfigError('The value of key %r is %d bytes long; ZITADEL accepts 1 to %d bytes. Use '
                                     'state=absent to remove a key.' % (key, len(data), MAX_VALUE_BYTES))
        return data

    def equal(self, current, desired):
        if self.encoding == 'json':
            wanted = _canonical_json(desired)
            return wanted is not None and _canonical_json(current) == wanted
        return current == desired

    def show(self, data):
        """The value as this encoding presents it to the user."""
        if self.encoding == 'base64':
            return base64.b64encode(data).decode('ascii')
        text = _utf8(data)
        if self.encoding == 'json' and text is not None:
            try:
                return json.loads(text)
            except ValueError:
                pass
        return text if text is not None else base64.b64encode(data).decode('ascii')


def validate_key(key):
    if not isinstance(key, str) or not 1 <= len(key) <= MAX_KEY_LENGTH:
        length = len(key) if isinstance(key, str) else 0
        raise ZitadelConfigError('Metadata key %r is %d characters long; ZITADEL accepts keys of 1 to %d characters.'
                                 % (key, length, MAX_KEY_LENGTH))
    return key


def encode_all(codec, values):
    """Validate and encode a {key: value} map of desired values; raise before any request."""
    return {validate_key(key): codec.encode(key, value) for key, value in values.items()}


class Plan:
    """What one target needs: keys to add, update and remove, and keys already right."""

    def __init__(self, current, codec, desired=None, absent=(), purge=False, keep=()):
        desired = desired or {}
        self.current = current
        self.desired = desired
        self.added = sorted(k for k in desired if k not in current)
        self.updated = sorted(k for k in desired if k in current and not codec.equal(current[k], desired[k]))
        removed = {k for k in absent if k in current}
        if purge:
            removed.update(k for k in current if k not in desired and not any(fnmatch.fnmatchcase(k, p) for p in keep))
        self.removed = sorted(removed)
        self.unchanged = sorted((set(desired) | set(absent)) - set(self.added) - set(self.updated) - removed)

    @property
    def changed(self):
        return bool(self.added or self.updated or self.removed)

    def to_set(self):
        return {k: self.desired[k] for k in self.added + self.updated}

    def apply(self, target):
        """Write the plan: at most one set request and one removal request."""
        to_set = self.to_set()
        if to_set:
            target.set(to_set)
        if self.removed:
            try:
                target.remove(self.removed)
            except ZitadelError as exc:
                if not to_set:
                    raise
                raise PartialApplyError(exc, 'set %s' % ', '.join(sorted(to_set))) from None

    def after(self):
        """The target's entries once the plan is applied."""
        after = {k: v for k, v in self.current.items() if k not in self.removed}
        after.update(self.to_set())
        return after

    def result(self, codec, sensitive=False, keys=None):
        """Lists of keys per outcome, and the diff as key -> shown value, limited to `keys` when given."""
        before, after = self.current, self.after()
        if keys is not None:
            before = {k: v for k, v in before.items() if k in keys}
            after = {k: v for k, v in after.items() if k in keys}

        def show(entries, changed_mask):
            if not sensitive:
                return {k: codec.show(v) for k, v in entries.items()}
            return {k: changed_mask if k in self.updated or k in self.added else MASK for k in entries}

        return {
            'changed': self.changed,
            'added': self.added,
            'updated': self.updated,
            'removed': self.removed,
            'unchanged': self.unchanged,
            'diff': {'before': show(before, MASK), 'after': show(after, MASK_CHANGED)},
        }


def entry(codec, key, data, sensitive=False):
    """One entry as modules return it."""
    if sensitive:
        return {'key': key, 'value': MASK, 'value_base64': MASK}
    return {'key': key, 'value': codec.show(data), 'value_base64': base64.b64encode(data).decode('ascii')}


def _utf8(data):
    try:
        return data.decode('utf-8')
    except UnicodeDecodeError:
        return None


def _canonical_json(data):
    """JSON by meaning: key order and white space ignored, types kept (1, 1.0 and true differ)."""
    try:
        return json.dumps(json.loads(data.decode('utf-8')), sort_keys=True, separators=(',', ':'))
    except ValueError:
        return None


def reconcile_key(target, codec, key, value, state, check_mode, sensitive=False):
    """Bring one key of one target to the desired state; the result of a single-key module."""
    validate_key(key)
    desired = {key: codec.encode(key, value)} if state == 'present' else {}
    current = target.get(key)
    plan = Plan({} if current is None else {key: current}, codec, desired=desired, absent=() if desired else [key])
    _apply(plan, target, check_mode)
    after = plan.after().get(key)
    return {
        'changed': plan.changed,
        'metadata': None if after is None else entry(codec, key, after, sensitive),
        'diff': plan.result(codec, sensitive)['diff'],
    }


def reconcile_keys(target, codec, metadata, state, check_mode, purge=False, purge_exclude=(), sensitive=False):
    """Bring many keys of one target to the desired state with one list, one set and one removal at most."""
    if state == 'present':
        if not isinstance(metadata, dict):
            raise ZitadelConfigError('metadata must be a dictionary of key to value with state=present, not %s.'
                                     % type(metadata).__name__)
        desired, absent = encode_all(codec, metadata), ()
    else:
        if not isinstance(metadata, (dict, list)):
            raise ZitadelConfigError('metadata must be a list of keys (or a dictionary) with state=absent.')
        if purge:
            raise ZitadelConfigError('purge works with state=present only; with state=absent list the keys to remove.')
        desired, absent = {}, [validate_key(key) for key in metadata]
    current = target.list()
    plan = Plan(current, codec, desired=desired, absent=absent, purge=purge, keep=purge_exclude)
    _apply(plan, target, check_mode)
    result = plan.result(codec, sensitive, keys=set(desired) | set(absent) | set(plan.removed))
    after = plan.after()
    result['metadata'] = {k: MASK if sensitive else codec.show(v) for k, v in sorted(after.items())}
    return result


def read_entries(target, keys=None, prefix=None, parse_json=False):
    """Entries of one target sorted by key, for the info modules: text when valid UTF-8, base64, parsed JSON."""
    if keys is not None:
        entries = {validate_key(key): None for key in keys}
        entries = target.list(keys=list(entries)) if entries else {}
    else:
        entries = target.list(prefix=prefix)
    result = []
    for key in sorted(entries):
        data = entries[key]
        item = {'key': key, 'value': _utf8(data), 'value_base64': base64.b64encode(data).decode('ascii')}
        if parse_json and _canonical_json(data) is not None:
            item['json'] = json.loads(data.decode('utf-8'))
        result.append(item)
    return result


def _apply(plan, target, check_mode):
    """Write the plan; in check mode, make sure the predicted write would find its target.

    A target without metadata reads the same as one that does not exist, so only then is it checked.
    """
    if not plan.changed:
        return
    if not check_mode:
        plan.apply(target)
    elif not plan.current:
        target.check_exists()
