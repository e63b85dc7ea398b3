# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bad input is rejected before any request is sent, with a message that says what is wrong and how to fix it.

The rejected cases run concurrently, once per module; each one gets its own api_url path prefix, so a
request it sent anyway would show up in the server's log under its own prefix.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from conftest import ADMIN_PAT, BOB, CLIENT_ID, CLIENT_SECRET, ORG, SERVICE_ACCOUNT, USER, Ansible, Zitadel

PARALLEL = 4


class FixtureFile(str):
    """The name of a file (or directory) in the fixture's directory; the case gets its path."""


@dataclass
class Case:
    scenario: str
    module: str
    args: dict
    fragment: str
    env: dict = field(default_factory=dict)


CASES = {
    'empty-key': Case('Empty key (user_metadata)', 'user_metadata', {'user_id': USER, 'key': '', 'value': 'v'},
                      "Metadata key '' is 0 characters long; ZITADEL accepts keys of 1 to 200 characters"),
    'long-key': Case('Key of 201 characters (org_metadata)', 'org_metadata', {'key': 'k' * 201, 'value': 'v'},
                     'is 201 characters long; ZITADEL accepts keys of 1 to 200 characters'),
    'long-key-info': Case('Key of 201 characters in keys (user_metadata_info)', 'user_metadata_info',
                          {'user_id': USER, 'keys': ['team', 'k' * 201]}, 'is 201 characters long'),
    'empty-value': Case('Empty value (org_metadata)', 'org_metadata', {'key': 'k', 'value': ''},
                        'is 0 bytes long; ZITADEL accepts 1 to 500000 bytes. Use state=absent to remove a key'),
    'value-500001': Case('Value of 500001 bytes (user_metadata)', 'user_metadata',
                         {'user_id': USER, 'key': 'k', 'value': 'x' * 500001}, 'is 500001 bytes long; ZITADEL accepts 1 to 500000'),
    'value-2-byte-chars': Case('Value of 500000 two-byte characters (user_metadata_bulk)', 'user_metadata_bulk',
                               {'user_id': USER, 'metadata': {'k': '\u00e9' * 500000}}, 'is 1000000 bytes long'),
    'bad-base64': Case('Invalid base64 (org_metadata_bulk)', 'org_metadata_bulk',
                       {'metadata': {'logo': 'not base64!'}, 'encoding': 'base64'},
                       'is not valid base64. With encoding=base64 give the standard base64 form'),
    'bad-json': Case('Invalid JSON with encoding json (user_metadata)', 'user_metadata',
                     {'user_id': USER, 'key': 'k', 'value': '{"cpu": 4', 'encoding': 'json'},
                     'is not valid JSON'),
    'dict-as-text': Case('A dict value with encoding text (org_metadata)', 'org_metadata', {'key': 'k', 'value': {'cpu': 4}},
                         'must be a string with encoding=text, not dict. Quote it, or use encoding=json'),
    'list-present-user': Case('A list for metadata with state present (user_metadata_bulk)', 'user_metadata_bulk',
                              {'user_id': USER, 'metadata': ['a', 'b']},
                              'metadata must be a dictionary of key to value with state=present'),
    'list-present-org': Case('A list for metadata with state present (org_metadata_bulk)', 'org_metadata_bulk',
                             {'metadata': ['a']}, 'metadata must be a dictionary of key to value with state=present'),
    'string-absent': Case('A string for metadata with state absent (org_metadata_bulk)', 'org_metadata_bulk',
                          {'metadata': 'a', 'state': 'absent'}, 'metadata must be a list of keys'),
    'negative-retries': Case('retries -1 (user_metadata_bulk)', 'user_metadata_bulk',
                             {'user_id': USER, 'metadata': {'a': '1'}, 'retries': -1}, 'retries at least 0'),
    'zero-timeout': Case('timeout 0 (org_metadata)', 'org_metadata', {'key': 'k', 'value': 'v', 'timeout': 0},
                         'timeout must be greater than 0'),
    'purge-absent': Case('purge true with state absent (org_metadata_bulk)', 'org_metadata_bulk',
                         {'metadata': ['a'], 'state': 'absent', 'purge': True}, 'purge works with state=present only'),
    'unknown-encoding': Case('Unknown encoding (user_metadata)', 'user_metadata',
                             {'user_id': USER, 'key': 'k', 'value': 'v', 'encoding': 'yaml'},
                             'encoding must be one of: text, base64, json'),
    'no-auth': Case('No authentication (org_metadata_info)', 'org_metadata_info', {'token': None},
                    'No credentials: set exactly one of token, jwt_profile_file, jwt_profile_json, or client_id'),
    'two-auth': Case('token and client_id with client_secret (user_metadata)', 'user_metadata',
                     {'user_id': USER, 'key': 'k', 'value': 'v', 'client_id': CLIENT_ID, 'client_secret': CLIENT_SECRET},
                     'Give exactly one authentication method; the options set token and client_id/client_secret'),
    'two-auth-env': Case('ZITADEL_TOKEN and ZITADEL_JWT_PROFILE_FILE, none in the task (org_metadata)', 'org_metadata',
                         {'key': 'k', 'value': 'v', 'token': None},
                         'the environment variables set ZITADEL_TOKEN and ZITADEL_JWT_PROFILE_FILE',
                         {'ZITADEL_TOKEN': ADMIN_PAT, 'ZITADEL_JWT_PROFILE_FILE': FixtureFile('valid.json')}),
    'client-id-only': Case('client_id without client_secret (user_metadata_bulk)', 'user_metadata_bulk',
                           {'user_id': USER, 'metadata': {'a': '1'}, 'token': None, 'client_id': CLIENT_ID},
                           'client_id and client_secret must be given together'),
    'key-file-missing': Case('Missing JWT key file (user_metadata)', 'user_metadata',
                             {'user_id': USER, 'key': 'k', 'value': 'v', 'token': None, 'jwt_profile_file': FixtureFile('missing.json')},
                             'cannot be read (No such file or directory). Give the path of the JSON key file'),
    'key-file-directory': Case('Unreadable JWT key file, a directory (org_metadata_bulk)', 'org_metadata_bulk',
                               {'metadata': {'a': '1'}, 'token': None, 'jwt_profile_file': FixtureFile('a-directory')},
                               'cannot be read (Is a directory). Give the path of the JSON key file'),
    'key-file-not-json': Case('JWT key file that is not JSON (user_metadata_info)', 'user_metadata_info',
                              {'user_id': USER, 'token': None, 'jwt_profile_file': FixtureFile('not-json.json')},
                              'is not valid JSON: give the key file that ZITADEL created for the service account'),
    'key-file-fields': Case('JWT key file missing key and userId (org_metadata)', 'org_metadata',
                            {'key': 'k', 'value': 'v', 'token': None, 'jwt_profile_file': FixtureFile('no-fields.json')},
                            'field(s) key, userId missing. Download a new JSON key'),
    'key-file-ec-key': Case('JWT key file with an EC key, not RSA (user_metadata)', 'user_metadata',
                            {'user_id': USER, 'key': 'k', 'value': 'v', 'token': None, 'jwt_profile_file': FixtureFile('ec-key.json')},
                            'the field "key" is not a valid RSA private key in PEM format'),
    'url-no-scheme': Case('api_url without a scheme (user_metadata)', 'user_metadata',
                          {'user_id': USER, 'key': 'k', 'value': 'v', 'api_url': '127.0.0.1:8080'},
                          'is not a valid ZITADEL URL: give the instance root such as https'),
    'url-ftp': Case('api_url with ftp:// (org_metadata_bulk)', 'org_metadata_bulk',
                    {'metadata': {'a': '1'}, 'api_url': 'ftp://127.0.0.1/'}, '(http or https, a host name'),
    'url-bad-port': Case('api_url with port 99999 (user_metadata_info)', 'user_metadata_info',
                         {'user_id': USER, 'api_url': 'http://127.0.0.1:99999'}, 'has an invalid port'),
    'ca-path-missing': Case('ca_path that does not exist (org_metadata)', 'org_metadata',
                            {'key': 'k', 'value': 'v', 'ca_path': FixtureFile('missing-ca.pem')},
                            'is not a file: give the PEM file of the CA'),
    'org-id-line-break': Case('org_id with a line break (user_metadata)', 'user_metadata',
                              {'user_id': USER, 'key': 'k', 'value': 'v', 'org_id': ORG + '\n1'}, 'org_id'),
    # Many targets in one task: a bad item is named by its position (and its name when it has one).
    'item-both-ids': Case('An item of users with both user_id and login_name (user_metadata_bulk)', 'user_metadata_bulk',
                          {'users': [{'user_id': USER}, {'user_id': BOB, 'login_name': 'bob'}], 'metadata': {'a': '1'}},
                          'users[1] (bob): give exactly one of user_id and login_name, not both'),
    'item-no-id': Case('An item of users with neither user_id nor login_name (user_metadata_bulk)', 'user_metadata_bulk',
                       {'users': [{'user_id': USER}, {'metadata': {'a': '1'}}]},
                       'users[1]: give exactly one of user_id and login_name (neither is set, or it is empty)'),
    'item-twice': Case('The same user ID twice in users (user_metadata_bulk)', 'user_metadata_bulk',
                       {'users': [{'user_id': USER}, {'user_id': BOB}, {'user_id': USER}], 'metadata': {'a': '1'}},
                       'users[0] (%s) and users[2] (%s) name the same user; list each one once' % (USER, USER)),
    'item-twice-login': Case('The same login name twice in users, in other case (user_metadata_info)', 'user_metadata_info',
                             {'users': [{'login_name': 'alice'}, {'login_name': 'ALICE'}]},
                             'users[0] (alice) and users[1] (ALICE) name the same user; list each one once'),
    'item-metadata-type': Case('An item of users with a list for metadata with state present (user_metadata_bulk)',
                               'user_metadata_bulk',
                               {'users': [{'user_id': USER, 'metadata': {'a': '1'}}, {'user_id': BOB, 'metadata': ['a']}]},
                               'users[1] (%s): its metadata must be a dictionary of key to value with state=present, not list'
                               % BOB),
    'item-unknown-option': Case('An item of users with an unknown option (user_metadata_bulk)', 'user_metadata_bulk',
                                {'users': [{'user_id': USER, 'team': 'platform'}], 'metadata': {'a': '1'}},
                                'users[0] (%s): unknown option(s) team; an item takes user_id, login_name, org_id, metadata'
                                % USER),
    'item-metadata-info': Case('An item of users with metadata (user_metadata_info)', 'user_metadata_info',
                               {'users': [{'user_id': USER}, {'user_id': BOB, 'metadata': {'a': '1'}}]},
                               'users[1] (%s): unknown option(s) metadata; an item takes user_id, login_name, org_id' % BOB),
    'concurrency-0': Case('concurrency 0 (user_metadata_bulk)', 'user_metadata_bulk',
                          {'users': [{'user_id': USER}, {'user_id': BOB}], 'metadata': {'a': '1'}, 'concurrency': 0},
                          'concurrency must be between 1 and 32, not 0'),
    'concurrency-33': Case('concurrency 33 (user_metadata_info)', 'user_metadata_info',
                           {'users': [{'user_id': USER}, {'user_id': BOB}], 'concurrency': 33},
                           'concurrency must be between 1 and 32, not 33'),
    'users-and-user-id': Case('users together with user_id (user_metadata_bulk)', 'user_metadata_bulk',
                              {'user_id': USER, 'users': [{'user_id': BOB}], 'metadata': {'a': '1'}},
                              'parameters are mutually exclusive: user_id|login_name|users'),
    'org-item-no-id': Case('An item of orgs with neither org_id nor org_name (org_metadata_bulk)', 'org_metadata_bulk',
                           {'orgs': [{'org_id': ORG}, {'metadata': {'a': '1'}}], 'metadata': {'b': '2'}},
                           'orgs[1]: give exactly one of org_id and org_name, as a non-empty string'),
    'org-item-both': Case('An item of orgs with both org_id and org_name (org_metadata_info)', 'org_metadata_info',
                          {'orgs': [{'org_id': ORG, 'org_name': 'acme'}]},
                          'orgs[0] (acme): give exactly one of org_id and org_name'),
    'org-name-v1': Case('org_name with api_version v1 (org_metadata)', 'org_metadata',
                        {'org_name': 'acme', 'org_id': None, 'key': 'a', 'value': '1'},
                        "org_name 'acme': organisations are found by name through ZITADEL's v2 organisation search"),
    'org-item-twice': Case('The same org twice in orgs (org_metadata_info)', 'org_metadata_info',
                           {'orgs': [{'org_id': ORG}, {'org_id': ORG}]},
                           'orgs[0] (%s) and orgs[1] (%s) name the same organisation; list each one once' % (ORG, ORG)),
}


def fixture_files(directory, jwt_key):
    """Write the files the cases name (those that exist) and return the directory."""
    (directory / 'a-directory').mkdir()
    (directory / 'valid.json').write_text(jwt_key[1])
    (directory / 'not-json.json').write_text('-----BEGIN RSA PRIVATE KEY-----\n')
    (directory / 'no-fields.json').write_text(json.dumps({'type': 'serviceaccount', 'keyId': 'reliability-key'}))
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    (directory / 'ec-key.json').write_text(json.dumps({'type': 'serviceaccount', 'keyId': 'reliability-key', 'key': pem,
                                                       'userId': SERVICE_ACCOUNT}))
    return directory


def resolve(values, directory):
    return {name: str(directory / value) if isinstance(value, FixtureFile) else value for name, value in values.items()}


@pytest.fixture(scope='module')
def rejections(server, collections, jwt_key, tmp_path_factory):
    """Run every case once, PARALLEL at a time; returns the outcomes by case name and the server's request log.

    The reset clears the log (and any fault left behind), so the log holds only what these cases sent.
    """
    zitadel = Zitadel(server)
    zitadel.control('POST', 'reset')
    ansible = Ansible(zitadel, tmp_path_factory.mktemp('misuse'), collections)
    directory = fixture_files(tmp_path_factory.mktemp('misuse-files'), jwt_key)
    outcomes = {}
    names = list(CASES)
    for first in range(0, len(names), PARALLEL):
        waiting = []
        for name in names[first:first + PARALLEL]:
            case = CASES[name]
            args = dict({'api_url': '%s/%s' % (zitadel.url, name)}, **resolve(case.args, directory))
            waiting.append((name, ansible.start(case.module, args, env=resolve(case.env, directory))))
        for name, wait in waiting:
            outcomes[name] = wait()
    return outcomes, zitadel.requests()


def excerpt(text):
    return ' '.join(text[:200].replace('|', '/').split())


def verdict(outcome, sent, fragment):
    """What happened, in the words of the expected column."""
    status = 'failed' if outcome.failed else 'succeeded'
    when = 'before any request' if not sent else 'after %d request(s)' % len(sent)
    said = 'says "%s"' % fragment if fragment in outcome.msg else 'said "%s"' % excerpt(outcome.msg)
    return '%s %s; %s' % (status, when, said)


@pytest.mark.parametrize('name', list(CASES))
def test_rejected_before_any_request(rejections, record, name):
    case = CASES[name]
    outcomes, log = rejections
    sent = [entry for entry in log if entry['path'].startswith('/%s/' % name)]
    record(case.scenario, 'failed before any request; says "%s"' % case.fragment, verdict(outcomes[name], sent, case.fragment))


def test_no_request_at_all(rejections, record):
    """The whole log, also requests that carry no case prefix (an api_url case reaching the server)."""
    outcomes, log = rejections
    record('All %d rejected cases together' % len(outcomes), 'no request in the server log',
           'no request in the server log' if not log else '%d requests in the server log' % len(log))


def test_non_ascii_key_of_200_characters_is_accepted(zitadel, ansible, record):
    """Positive control: the key limit counts characters, not bytes, and such a key is really sent."""
    key = '\u00e9' * 200
    outcome = ansible.run('user_metadata', {'user_id': USER, 'key': key, 'value': 'v'})
    sets = zitadel.requests('SetUserMetadata')
    stored = zitadel.metadata().get(key)
    record('Key of 200 non-ASCII characters (400 bytes)', 'ok, changed; 1 write; stored',
           '%s; %d write; %s' % ('ok, changed' if outcome.changed and not outcome.failed else excerpt(outcome.msg),
                                 len(sets), 'stored' if stored == b'v' else 'not stored'))


def test_bulk_with_one_invalid_key_writes_nothing(zitadel, ansible, record):
    """One invalid key among valid ones: the whole task is rejected and the server keeps what it had."""
    zitadel.set_raw({'keep': 'as is'})
    before = zitadel.metadata()
    zitadel.clear_log()
    outcome = ansible.run('user_metadata_bulk', {'user_id': USER, 'purge': True,
                                                 'metadata': {'alpha': '1', 'k' * 201: '2', 'omega': '3'}})
    fragment = 'is 201 characters long'
    after = zitadel.metadata()
    record('Bulk of 3 keys, one of 201 characters, with purge (user_metadata_bulk)',
           'failed before any request; says "%s"; metadata unchanged' % fragment,
           '%s; %s' % (verdict(outcome, zitadel.requests(), fragment),
                       'metadata unchanged' if after == before else 'metadata now %s' % sorted(after)))
