# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Reconcile metadata: encode the desired values, compare with the current bytes, plan, apply, report.

One engine serves every module: a task names one or many owners (users or organisations) and what
it declares for each; the engine finds users named by login name in batches, then reads, plans and
writes each owner with bounded concurrency through a protocol, and reports one result per owner.
Codec and Plan work on plain {key: bytes} maps of one owner.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import json

from ansible_collections.community.zitadel.plugins.module_utils._errors import PartialApplyError, ZitadelConfigError, ZitadelError
from ansible_collections.community.zitadel.plugins.module_utils._owners import check_distinct
from ansible_collections.community.zitadel.plugins.module_utils._runner import run_all

MAX_KEY_LENGTH = 200
MAX_VALUE_BYTES = 500000
ENCODINGS = ('text', 'base64', 'json')
MASK = '<sensitive>'
MASK_CHANGED = '<sensitive, changed>'
NOT_NAMED = '<not named by the task>'  # the value of a purged key, which may be another task's secret


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

    def shows(self, data):
        """Whether show() presents these bytes (JSON null is shown as None too)."""
        if self.encoding == 'base64':
            return True
        return (_canonical_json if self.encoding == 'json' else _utf8)(data) is not None

    def show(self, data):
        """The value as this encoding presents it, or None when the bytes are not valid in it (see value_base64)."""
        if self.encoding == 'base64':
            return base64.b64encode(data).decode('ascii')
        text = _utf8(data)
        if self.encoding == 'json' and text is not None:
            try:
                return json.loads(text)
            except ValueError:
                return None
        return text


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


class Masking:
    """Which keys' values results and diffs hide: every key with `sensitive`, else the keys matching `sensitive_keys`."""

    def __init__(self, sensitive=False, patterns=()):
        self.sensitive = sensitive
        self.patterns = tuple(patterns or ())

    def hides(self, key):
        return self.sensitive or any(fnmatch.fnmatchcase(key, pattern) for pattern in self.patterns)

    def entries(self, codec, entries):
        """{key: {value, value_base64}}, sorted by key: the one entry shape of every module's results."""
        return {key: ({'value': MASK, 'value_base64': MASK} if self.hides(key)
                      else {'value': codec.show(data), 'value_base64': base64.b64encode(data).decode('ascii')})
                for key, data in sorted(entries.items())}


class Job:
    """One owner and what the task declares for it, encoded and checked before any request."""

    def __init__(self, owner, desired, absent):
        self.owner = owner
        self.desired = desired
        self.absent = absent
        self.named = set(desired) | set(absent)
        self.plan = None


def declare(*, owner, codec, state, metadata, shared=None, purge=False, where=None):
    """The Job of one owner: `shared` metadata (for every owner of the task) merged with the owner's own, which wins.

    where: how an error names the item (users[3] (alice@acme.example)); None for the task's only owner.
    """
    try:
        if state == 'present':
            merged = {}
            for part, label in ((shared, 'metadata'), (metadata, 'its metadata' if where else 'metadata')):
                if part is not None and not isinstance(part, dict):
                    raise ZitadelConfigError('%s must be a dictionary of key to value with state=present, not %s.'
                                             % (label, type(part).__name__))
                merged.update(part or {})
            return Job(owner, encode_all(codec, merged), ())
        if purge:
            raise ZitadelConfigError('purge works with state=present only; with state=absent list the keys to remove.')
        keys = []
        for part in (shared, metadata):
            if part is not None and not isinstance(part, (dict, list)):
                raise ZitadelConfigError('metadata must be a list of keys (or a dictionary) with state=absent.')
            keys.extend(validate_key(key) for key in part or ())
        return Job(owner, {}, sorted(set(keys)))
    except ZitadelConfigError as exc:
        if where is None:
            raise
        raise ZitadelConfigError('%s: %s' % (where, exc)) from None


def reconcile(*, api, jobs, codec, check_mode, masking, purge=False, purge_exclude=(), concurrency=1):
    """Bring every job's owner to its declared state; one report per job, in order.

    Per owner: one list request per 1000 keys (a filtered one when a single key is named), at most
    one set and one removal (more only to stay under the message size limit), no write when in sync.
    """
    find_owners(api, [job.owner for job in jobs])

    def work(job):
        target = api.target(job.owner)
        one_key = len(job.named) == 1 and not purge
        job.plan = Plan(target.list(keys=sorted(job.named)) if one_key else target.list(), codec,
                        desired=job.desired, absent=job.absent, purge=purge, keep=purge_exclude)
        if job.plan.changed and not check_mode:
            job.plan.apply(target)

    outcomes = run_all(jobs, work, concurrency)
    if check_mode:
        _confirm_owners(api, [(o, o.item.owner) for o in outcomes if not o.error and o.item.plan.changed and not o.item.plan.current],
                        'predict a change')
    return [_change_report(outcome, codec, masking) for outcome in outcomes]


def read(*, api, owners, codec, masking, keys=None, prefix=None, concurrency=1):
    """The metadata of every owner (all, exact keys, or a key prefix); one report per owner, in order."""
    keys = None if keys is None else sorted({validate_key(key) for key in keys})
    find_owners(api, owners)

    def work(owner):
        return api.target(owner).list(keys=keys, prefix=prefix) if keys != [] else {}

    outcomes = run_all(owners, work, concurrency)
    if keys != []:
        _confirm_owners(api, [(o, o.item) for o in outcomes if not o.error and not o.result], 'read metadata')
    reports = []
    for outcome in outcomes:
        report = dict(outcome.item.facts(), failed=bool(outcome.error))
        if outcome.error:
            report.update(_failure(outcome.error), metadata={})
        else:
            report['metadata'] = masking.entries(codec, outcome.result)
        reports.append(report)
    return reports


def find_owners(api, owners):
    """Give users named by login name, and organisations named by name or not at all, their IDs (in batches); fail
    before any write if one is unknown, or when two items turn out to be the same owner."""
    users = [owner for owner in owners if owner.kind == 'user']
    orgs = [owner for owner in owners if owner.kind == 'org']
    for user in users:
        user.own_org_default = api.own_org_default
    by_name = [user for user in users if not user.user_id]
    missing = api.find_users(by_name) if by_name else []
    if missing:
        raise ZitadelError('No user has the login name %s. Nothing was written. Check the spelling (ZITADEL compares login '
                           'names ignoring case; whether they end in the organisation\'s domain depends on its domain '
                           'policy), or set org_id to the organisation the user belongs to.'
                           % ', '.join('%r in %s' % (user.login_name, user.org_description or 'any organisation the credentials may read')
                                       for user in missing))
    unresolved = [org for org in orgs if not org.org_id]
    missing = api.find_orgs(unresolved) if unresolved else []
    if missing:
        raise ZitadelError('No organisation that the credentials may read (org.read) is named %s. Nothing was written. '
                           'Check the spelling (ZITADEL compares organisation names ignoring case), or give org_id.'
                           % ', '.join(repr(org.org_name) for org in missing))
    if by_name:
        check_distinct(users, 'users')
    if any(org.org_name for org in orgs):
        check_distinct(orgs, 'orgs')


def _confirm_owners(api, candidates, action):
    """ZITADEL may read an owner it does not show like one without metadata: check, in one batch, that such owners exist.

    candidates: (outcome, owner) pairs. An owner found by name was shown by ZITADEL already.
    """
    unconfirmed = [(outcome, owner) for outcome, owner in candidates if not owner.found]
    if not unconfirmed:
        return
    try:
        missing = api.missing([owner for _outcome, owner in unconfirmed])
    except ZitadelError as exc:
        for outcome, _owner in unconfirmed:
            outcome.error = exc
        return
    missing = {id(owner) for owner in missing}
    for outcome, owner in unconfirmed:
        if id(owner) in missing:
            outcome.error = ZitadelError('Could not %s on %s: ZITADEL does not show this %s to the credentials, so it does not '
                                         'exist or the service account lacks %s on it. %s'
                                         % (action, owner.description, owner.noun, owner.read_permission, owner.check_hint))


def _change_report(outcome, codec, masking):
    """One owner's entry; a failed owner reports no planned keys and its metadata as it was read."""
    job, plan, error = outcome.item, outcome.item.plan, outcome.error
    report = job.owner.facts()
    report.update(changed=isinstance(error, PartialApplyError), added=[], updated=[], removed=[], unchanged=[], metadata={},
                  failed=bool(error))
    if plan and not error:
        report.update(changed=plan.changed, added=plan.added, updated=plan.updated, removed=plan.removed,
                      unchanged=plan.unchanged, diff=_diff(job, plan, codec, masking))
    if plan:
        shown = plan.current if error else plan.after()
        report['metadata'] = masking.entries(codec, {k: v for k, v in shown.items() if k in job.named})
    if error:
        report.update(_failure(error))
    return report


def _failure(error):
    failure = dict(error.facts())
    failure['msg'] = str(error)
    return failure


def _diff(job, plan, codec, masking):
    """Before and after of the keys the task names or removes, headed by the owner's name."""
    shown = job.named | set(plan.removed)
    changed = set(plan.added) | set(plan.updated)

    def show(entries, after):
        view = {}
        for key in sorted(entries):
            if key not in shown:
                continue
            if key not in job.named:
                view[key] = NOT_NAMED
            elif masking.hides(key):
                view[key] = MASK_CHANGED if after and key in changed else MASK
            else:
                data = entries[key]
                view[key] = codec.show(data) if codec.shows(data) else '<base64 %s>' % base64.b64encode(data).decode('ascii')
        return view

    return {'before': show(plan.current, False), 'after': show(plan.after(), True),
            'before_header': job.owner.description, 'after_header': job.owner.description}


def single_result(report):
    """The result of a task with one owner: the report's fields at the top; a failure raises."""
    if report['failed']:
        raise ReportedFailure(report)
    return {k: v for k, v in report.items() if k not in ('failed', 'msg')}


def many_result(kind, reports, changes=True):
    """The result of a task with many owners: one entry per owner, a summary, one diff per changed owner."""
    failed = [r for r in reports if r['failed']]
    summary = {'targets': len(reports), 'failed': len(failed)}
    result = {'changed': any(r.get('changed') for r in reports), kind: reports, 'summary': summary}
    if changes:
        changed = sum(1 for r in reports if r['changed'])
        summary.update(changed=changed, unchanged=sum(1 for r in reports if not r['changed'] and not r['failed']),
                       keys_added=sum(len(r['added']) for r in reports), keys_updated=sum(len(r['updated']) for r in reports),
                       keys_removed=sum(len(r['removed']) for r in reports))
        result['diff'] = [r.pop('diff') for r in reports if 'diff' in r and r['changed']]
        for report in reports:  # the values of each target are those it declared: not repeated per target
            report.pop('diff', None)
            report.pop('metadata', None)
    if failed:
        result['failed'] = True
        result['msg'] = '%d of %d %s failed: %s' % (len(failed), len(reports), kind, ' | '.join(r['msg'] for r in failed))
    return result


class ReportedFailure(ZitadelError):
    """The only owner of a task failed: its message and facts fail the task."""

    def __init__(self, report):
        super().__init__(report['msg'])
        self.report = report

    def facts(self):
        return {k: v for k, v in self.report.items() if k not in ('msg', 'failed', 'diff')}
