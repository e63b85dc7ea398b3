# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Credentials, issued access tokens and sensitive values never appear in the output or the result.

Every case runs twice, concurrently with the other cases: at verbosity 0 without diff (as alice), and at
-vvvv with diff and the task's invocation in the result (as bob), which is what ansible-core before
2.21 always returns and 2.21 returns with ANSIBLE_INJECT_INVOCATION. Each case first proves that the
task did what it was meant to (the value reached the server, or the task failed in the intended way),
then searches the complete output and the registered result for every secret of the whole run.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field

import pytest

from conftest import ADMIN_PAT, BOB, CLIENT_ID, CLIENT_SECRET, MISSING_USER, ORG, USER, Ansible, Zitadel, ZitadelServer, scratch_user
READER_PAT = 'it-reader-pat-not-a-secret'
REJECTED_TOKEN = 'S3cr3t-rejected-token-1'
LINE_BROKEN_TOKEN = 'S3cr3t-pat-line-1\nS3cr3t-pat-line-2'
REPLACED_VALUE = 'S3cr3t-replaced-value-1'
PARALLEL = 4
CLEAN = 'no secret in output or result at verbosity 0 or -vvvv --diff'
CLEAN_LOOKUP = 'no secret in the output'
MASKED = {'value': '<sensitive>', 'value_base64': '<sensitive>'}
NOT_NAMED = '<not named by the task>'


def sensitive(number):
    return 'S3cr3t-sensitive-value-%02d' % number


def b64(text):
    return base64.b64encode(text.encode()).decode()


@dataclass(frozen=True)
class Variant:
    """One of the two ways each case runs."""

    name: str
    user: str
    verbosity: int
    diff: bool
    env: tuple = ()


VARIANTS = (Variant('verbosity 0', USER, 0, False),
            Variant('-vvvv --diff', BOB, 4, True, (('ANSIBLE_INJECT_INVOCATION', 'true'),)))


@dataclass
class Case:
    """args(variant, context) gives the task; success cases name what the server must hold, failures a message fragment.

    steps: further (module, args) tasks run after the first one, in the same variant, each its own playbook.
    check: for cases that `stored` and `fragment` cannot describe, check(outcomes, stored, variant) returns what
    went wrong (None when the case did what it meant), and `expected` is the text of its success.
    faults: (method, path or path(variant), action, options), queued once per variant.
    """

    scenario: str
    module: str
    args: object
    values: tuple
    fragment: str = ''
    stored: object = None
    env: dict = field(default_factory=dict)
    faults: tuple = ()
    steps: tuple = ()
    check: object = None
    expected: str = ''


def user_key(key, data):
    return lambda variant: (variant.user, key, data)


def org_key(prefix, data):
    return lambda variant: (None, prefix + str(variant.verbosity), data)


def user_metadata(variant, key, number, **extra):
    return dict({'user_id': variant.user, 'key': key, 'value': sensitive(number), 'sensitive': True}, **extra)


def own(first):
    """A scratch user of the case alone, one per variant (first, first + 1), so that faults and purges hit only it."""
    return lambda variant: scratch_user(first + VARIANTS.index(variant))


def own_key(first, key, data):
    return lambda variant: (own(first)(variant), key, data)


def own_metadata(first, key, number, **extra):
    return lambda v, c: dict(user_metadata(v, key, number, **extra), user_id=own(first)(v))


def own_search(first):
    return lambda variant: '/management/v1/users/%s/metadata/_search' % own(first)(variant)


def failed_but_stored(fragment, first, key, number):
    """A task failing as meant while the value of its other target reached the server."""
    def check(outcomes, stored, variant):
        outcome = outcomes[-1]
        if not outcome.failed or fragment not in outcome.msg:
            return 'failed=%s' % outcome.failed
        if stored[own(first)(variant)].get(key) != sensitive(number).encode():
            return '%s not stored' % key
        return None
    return check


def set_read_purge(first):
    """Set with sensitive in one task, read with sensitive_keys in the next, purged with sensitive_keys in the last."""
    def check(outcomes, stored, variant):
        written, read, purged = outcomes
        if written.failed or not written.changed:
            return 'set: failed=%s changed=%s' % (written.failed, written.changed)
        if read.failed or read.result.get('metadata', {}).get('sec-chain') != MASKED:
            return 'read: failed=%s, sec-chain not masked' % read.failed
        if purged.failed or purged.result.get('removed') != ['sec-chain'] or stored[own(first)(variant)] != {'kept': b'plain'}:
            return 'purge: failed=%s, removed %s' % (purged.failed, purged.result.get('removed'))
        return None
    return check


def purged_unnamed(first):
    """A purge of a key the task does not name: removed, and the diff (in diff mode) hides its value."""
    def check(outcomes, stored, variant):
        outcome = outcomes[-1]
        if outcome.failed or outcome.result.get('removed') != ['sec-other'] or stored[own(first)(variant)] != {'kept': b'plain'}:
            return 'failed=%s, removed %s' % (outcome.failed, outcome.result.get('removed'))
        if variant.diff and outcome.result.get('diff', {}).get('before', {}).get('sec-other') != NOT_NAMED:
            return 'diff before: %s' % outcome.result.get('diff', {}).get('before', {}).get('sec-other', 'missing')
        return None
    return check


USER_PATH = '/management/v1/users/*/metadata/'
JSON_VALUE = json.dumps({'secret': sensitive(5)}, separators=(',', ':'))

CASES = {
    'pat': Case('Sensitive write with token (user_metadata)', 'user_metadata',
                lambda v, c: user_metadata(v, 'sec-pat', 1), (sensitive(1),), stored=user_key('sec-pat', sensitive(1))),
    'jwt-file': Case('Sensitive bulk write with jwt_profile_file (user_metadata_bulk)', 'user_metadata_bulk',
                     lambda v, c: {'user_id': v.user, 'metadata': {'sec-file-a': sensitive(2), 'sec-file-b': sensitive(3)},
                                   'sensitive': True, 'token': None, 'jwt_profile_file': c['key_file']},
                     (sensitive(2), sensitive(3)), stored=user_key('sec-file-b', sensitive(3))),
    'jwt-json': Case('Sensitive base64 write with jwt_profile_json as a dict (org_metadata)', 'org_metadata',
                     lambda v, c: {'key': 'sec-json-%d' % v.verbosity, 'value': b64(sensitive(4)), 'encoding': 'base64',
                                   'sensitive': True, 'token': None, 'jwt_profile_json': json.loads(c['key_json'])},
                     (sensitive(4),), stored=org_key('sec-json-', sensitive(4))),
    'client': Case('Sensitive JSON write with client_id and client_secret (org_metadata_bulk)', 'org_metadata_bulk',
                   lambda v, c: {'metadata': {'sec-client-%d' % v.verbosity: {'secret': sensitive(5)}}, 'encoding': 'json',
                                 'sensitive': True, 'token': None, 'client_id': CLIENT_ID, 'client_secret': CLIENT_SECRET},
                   (sensitive(5), JSON_VALUE), stored=org_key('sec-client-', JSON_VALUE)),
    'env-token': Case('Sensitive update with ZITADEL_TOKEN (user_metadata)', 'user_metadata',
                      lambda v, c: user_metadata(v, 'sec-env', 6, token=None), (sensitive(6), REPLACED_VALUE),
                      stored=user_key('sec-env', sensitive(6)), env={'ZITADEL_TOKEN': ADMIN_PAT}),
    'unauthenticated': Case('Rejected token, HTTP 401 (user_metadata)', 'user_metadata',
                            lambda v, c: user_metadata(v, 'sec-401', 7, token=REJECTED_TOKEN), (sensitive(7),),
                            fragment='the credentials were rejected (HTTP 401'),
    'forbidden': Case('Token without user.write, HTTP 403 (user_metadata)', 'user_metadata',
                      lambda v, c: user_metadata(v, 'sec-403', 8, token=READER_PAT), (sensitive(8),),
                      fragment='the credentials lack permission user.write'),
    'unknown-org': Case('Unknown org_id 123 with jwt_profile_file (org_metadata_bulk)', 'org_metadata_bulk',
                        lambda v, c: {'metadata': {'sec-org': sensitive(9)}, 'org_id': '123', 'sensitive': True,
                                      'token': None, 'jwt_profile_file': c['key_file']},
                        (sensitive(9),), fragment='the organisation does not exist'),
    'unknown-user': Case('Unknown user with client_id and client_secret (user_metadata)', 'user_metadata',
                         lambda v, c: dict(user_metadata(v, 'sec-user', 10, token=None, client_id=CLIENT_ID,
                                                         client_secret=CLIENT_SECRET), user_id='400000000000000999'),
                         (sensitive(10),), fragment='the user does not exist'),
    'server-error': Case('HTTP 503 on the read, with retries 0 and jwt_profile_json as text (user_metadata)', 'user_metadata',
                         lambda v, c: own_metadata(21, 'sec-503', 11, retries=0, token=None, jwt_profile_json=c['key_json'])(v, c),
                         (sensitive(11),), fragment='ZITADEL answered HTTP 503',
                         faults=(('POST', own_search(21), 'status', {'status': 503}),)),
    'timeout': Case('No answer to the read within timeout 0.5 with retries 0 (user_metadata)', 'user_metadata',
                    own_metadata(23, 'sec-timeout', 12, retries=0, timeout=0.5), (sensitive(12),),
                    fragment='no answer within the timeout of 0.5 seconds',
                    faults=(('POST', own_search(23), 'delay', {'seconds': 2}),)),
    'tls': Case('TLS verification failure (org_metadata)', 'org_metadata',
                lambda v, c: {'api_url': c['tls_url'], 'key': 'sec-tls', 'value': sensitive(13), 'sensitive': True},
                (sensitive(13),), fragment='TLS verification of'),
    'partial': Case('Bulk set written, removal answered 503 (user_metadata_bulk with purge)', 'user_metadata_bulk',
                    lambda v, c: {'user_id': v.user, 'metadata': {'partial-new': sensitive(14)}, 'sensitive': True,
                                  'purge': True, 'purge_exclude': ['sec-*'], 'retries': 0},
                    (sensitive(14),), fragment='Already written before the failure: set partial-new',
                    faults=(('DELETE', USER_PATH + 'partial-old', 'status', {'status': 503}),)),
    'invalid-key': Case('Key of 201 characters after a sensitive value (user_metadata_bulk)', 'user_metadata_bulk',
                        lambda v, c: {'user_id': v.user, 'metadata': {'sec-valid': sensitive(15), 'k' * 201: sensitive(16)},
                                      'sensitive': True},
                        (sensitive(15), sensitive(16)), fragment='is 201 characters long'),
    'invalid-choice': Case('Unknown encoding after a sensitive value (user_metadata)', 'user_metadata',
                           lambda v, c: user_metadata(v, 'sec-choice', 17, encoding='yaml'), (sensitive(17),),
                           fragment='value of encoding must be one of'),
    'line-break-token': Case('Token with a line break (user_metadata)', 'user_metadata',
                             lambda v, c: user_metadata(v, 'sec-line', 18, token=LINE_BROKEN_TOKEN), (sensitive(18),),
                             fragment='token'),
    'sensitive-keys-bulk': Case('sensitive_keys api_* in a bulk write, other keys shown (user_metadata_bulk)', 'user_metadata_bulk',
                                lambda v, c: {'user_id': own(25)(v), 'metadata': {'api_token': sensitive(19), 'team': 'platform'},
                                              'sensitive_keys': ['api_*']},
                                (sensitive(19),), stored=own_key(25, 'api_token', sensitive(19))),
    'sensitive-keys-single': Case('sensitive_keys *_password on a single key (user_metadata)', 'user_metadata',
                                  lambda v, c: {'user_id': own(27)(v), 'key': 'db_password', 'value': sensitive(20),
                                                'sensitive_keys': ['*_password']},
                                  (sensitive(20),), stored=own_key(27, 'db_password', sensitive(20))),
    'items-sensitive': Case('Values inside users[].metadata with sensitive (user_metadata_bulk, 2 users)', 'user_metadata_bulk',
                            lambda v, c: {'users': [{'user_id': own(29)(v), 'metadata': {'sec-item': sensitive(21)}},
                                                    {'user_id': own(31)(v), 'metadata': {'sec-item': sensitive(22)}}],
                                          'metadata': {'sec-shared': sensitive(23)}, 'sensitive': True},
                            (sensitive(21), sensitive(22), sensitive(23)), stored=own_key(31, 'sec-item', sensitive(22))),
    'items-sensitive-keys': Case('Values inside users[].metadata with sensitive_keys, one user missing (user_metadata_bulk)',
                                 'user_metadata_bulk',
                                 lambda v, c: {'users': [{'user_id': own(33)(v), 'metadata': {'token_a': sensitive(24), 'plain': 'shown'}},
                                                         {'user_id': MISSING_USER, 'metadata': {'token_a': sensitive(25)}}],
                                               'sensitive_keys': ['token_*']},
                                 (sensitive(24), sensitive(25)),
                                 check=failed_but_stored('1 of 2 users failed', 33, 'token_a', 24),
                                 expected='failed naming "1 of 2 users failed", the other user\'s value stored'),
    'set-read-purge': Case('Set with sensitive (user_metadata), read with sensitive_keys (user_metadata_info), purged with '
                           'sensitive_keys (user_metadata_bulk): three tasks', 'user_metadata',
                           own_metadata(35, 'sec-chain', 26),
                           (sensitive(26),),
                           steps=(('user_metadata_info', lambda v, c: {'user_id': own(35)(v), 'sensitive_keys': ['sec-*']}),
                                  ('user_metadata_bulk', lambda v, c: {'user_id': own(35)(v), 'metadata': {'kept': 'plain'},
                                                                       'purge': True, 'sensitive_keys': ['sec-*']})),
                           check=set_read_purge(35), expected='ok, value stored, read back masked, then purged'),
    'purge-unnamed': Case('Purge of a value another task set, without sensitive or sensitive_keys (user_metadata_bulk)',
                          'user_metadata_bulk',
                          lambda v, c: {'user_id': own(37)(v), 'metadata': {'kept': 'plain'}, 'purge': True},
                          (sensitive(27),), check=purged_unnamed(37),
                          expected='ok, purged; the diff names the key without its value'),
}


@pytest.fixture(scope='module')
def tls_server(server_state):
    with ZitadelServer(state=server_state, port=0, tls=True) as srv:
        yield srv


@pytest.fixture(scope='module')
def runs(server, tls_server, collections, jwt_key, tmp_path_factory):
    """Every case in both variants, PARALLEL at a time: [outcome of each task] by (case, variant name), the server's
    metadata by user ID (None: the org's), the secrets."""
    zitadel = Zitadel(server)
    zitadel.control('POST', 'reset')
    for user in (USER, BOB):
        zitadel.set_raw({'sec-env': REPLACED_VALUE, 'partial-old': 'kept'}, user=user)
    for variant in VARIANTS:
        zitadel.set_raw({'sec-other': sensitive(27)}, user=own(37)(variant))
        for case in CASES.values():
            for method, path, action, options in case.faults:
                zitadel.fault(method, path(variant) if callable(path) else path, action, count=1, **options)
    ansible = Ansible(zitadel, tmp_path_factory.mktemp('secrets'), collections)
    context = {'key_file': str(jwt_key[0]), 'key_json': jwt_key[1], 'tls_url': tls_server.url}
    pending = [(name, variant) for name in CASES for variant in VARIANTS]
    outcomes = {}

    def start(module, args, variant, case):
        return ansible.start(module, args(variant, context), verbosity=variant.verbosity, diff=variant.diff,
                             env=dict(case.env, **dict(variant.env)))
    for first in range(0, len(pending), PARALLEL):
        waiting = [(name, variant, start(CASES[name].module, CASES[name].args, variant, CASES[name]))
                   for name, variant in pending[first:first + PARALLEL]]
        for name, variant, wait in waiting:
            outcomes[name, variant.name] = [wait()]
            for module, args in CASES[name].steps:
                outcomes[name, variant.name].append(start(module, args, variant, CASES[name])())
    stored = {user: metadata for user, (metadata, _sequence) in zitadel.users().items()}
    stored[None] = zitadel.metadata(None)
    return outcomes, stored, secrets(jwt_key[1], zitadel.issued_tokens())


def secrets(key_json, issued):
    """Secret name -> the strings to look for."""
    values = [value for case in CASES.values() for value in case.values]
    pem = json.loads(key_json)['key']
    return {
        'admin token': [ADMIN_PAT],
        'reader token': [READER_PAT],
        'rejected token': [REJECTED_TOKEN],
        'line-broken token': LINE_BROKEN_TOKEN.splitlines(),
        'client secret': [CLIENT_SECRET],
        'JWT key': [line for line in pem.splitlines() if line and not line.startswith('-----')],
        'issued access token': issued,
        'sensitive value': values,
        'sensitive value as base64': [b64(value) for value in values],
    }


def leaks(outcome, where, found):
    """Names of the secrets found in the outcome's output or result, as 'name in where output/result'."""
    result = json.dumps(outcome.result)
    return ['%s in %s %s' % (name, where, place) for name, strings in found.items()
            for place, text in (('output', outcome.output), ('result', result)) if any(s in text for s in strings)]


def redact(text, found):
    for name, strings in found.items():
        for secret in strings:
            text = text.replace(secret, '<%s>' % name)
    return ' '.join(text[:200].replace('|', '/').split())


def expectation(case):
    if case.check is not None:
        return case.expected
    return 'ok, value stored' if case.stored is not None else 'failed naming "%s"' % case.fragment


def proof(case, outcomes, stored, found):
    """The expected text when every variant did what the case meant; else what went wrong."""
    for variant in VARIANTS:
        outcome = outcomes[variant.name][-1]
        if case.check is not None:
            problem = case.check(outcomes[variant.name], stored, variant)
            if problem:
                return '%s: %s, said "%s"' % (variant.name, problem, redact(outcome.msg, found))
        elif case.stored is None and not (outcome.failed and case.fragment in outcome.msg):
            return '%s: failed=%s, said "%s"' % (variant.name, outcome.failed, redact(outcome.msg, found))
        elif case.stored is not None:
            owner, key, data = case.stored(variant)
            if outcome.failed or stored[owner].get(key) != data.encode():
                return '%s: failed=%s, said "%s", %s not stored' % (variant.name, outcome.failed, redact(outcome.msg, found), key)
    return expectation(case)


@pytest.mark.parametrize('name', list(CASES))
def test_no_secret_in_output(runs, record, name):
    outcomes, stored, found = runs
    case = CASES[name]
    mine = {variant.name: outcomes[name, variant.name] for variant in VARIANTS}
    leaked = [leak for variant in VARIANTS for outcome in mine[variant.name] for leak in leaks(outcome, variant.name, found)]
    record('Secrets: ' + case.scenario, '%s; %s' % (expectation(case), CLEAN),
           '%s; %s' % (proof(case, mine, stored, found), 'leaked ' + ', '.join(leaked) if leaked else CLEAN))


def test_issued_tokens_searched(runs, record):
    """The six cases that exchange credentials got one access token per run, and each token was searched for."""
    outcomes, _stored, found = runs
    issued = {'issued access token': found['issued access token']}
    leaked = [leak for (_name, where), tasks in outcomes.items() for outcome in tasks for leak in leaks(outcome, where, issued)]
    record('Secrets: access tokens issued during the runs above', '12 issued; %s' % CLEAN,
           '%d issued; %s' % (len(issued['issued access token']), 'leaked ' + ', '.join(leaked) if leaked else CLEAN))


def test_lookup_keeps_credentials_out_of_the_output(zitadel, ansible, record, jwt_key):
    """The metadata lookup at -vvvv: a rejected token, then a JSON key, each from a variable as a vault would give it."""
    zitadel.set_raw({'team': 'platform'})
    connection = {'ansible_zitadel_api_url': zitadel.url, 'ansible_zitadel_org_id': ORG, 'ansible_zitadel_api_version': 'v1'}
    read = "{{ lookup('community.zitadel.metadata', 'team', user_id='%s') }}" % USER
    tasks = [
        {'name': 'rejected token', 'ansible.builtin.debug': {'msg': read}, 'ignore_errors': True,
         'vars': dict(connection, ansible_zitadel_token=REJECTED_TOKEN)},
        {'name': 'JSON key', 'ansible.builtin.set_fact': {'team': read}, 'vars': dict(connection, ansible_zitadel_jwt_profile_json=jwt_key[1])},
        {'name': 'the value', 'ansible.builtin.debug': {'msg': 'team is {{ team }}'}},
    ]
    returncode, output = ansible.play(tasks, verbosity=4)
    key_lines = [line for line in json.loads(jwt_key[1])['key'].splitlines() if 'PRIVATE KEY' not in line]
    secrets = {'rejected token': [REJECTED_TOKEN], 'key': key_lines, 'issued access token': zitadel.issued_tokens()}
    leaked = [name for name, strings in secrets.items() if any(secret in output for secret in strings)]
    rejected = "The lookup plugin 'community.zitadel.metadata' failed: Could not list metadata" in output and 'credentials were rejected' in output
    record('Secrets: the metadata lookup at -vvvv, a rejected token and then a JSON key from variables',
           'the first failed naming "credentials were rejected", the second read the value with 1 issued token; ' + CLEAN_LOOKUP,
           '%s, the second %s with %d issued token; %s' % (
               'the first failed naming "credentials were rejected"' if rejected else 'the first did not fail as meant',
               'read the value' if returncode == 0 and 'team is platform' in output else 'did not read the value (rc %d)' % returncode,
               len(secrets['issued access token']), 'leaked ' + ', '.join(leaked) if leaked else CLEAN_LOOKUP))
