# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The audit report: the model built from check-mode results of the bulk modules, and its JSON, HTML and JUnit renderings."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import time
import xml.etree.ElementTree as ET

import jsonschema
import pytest

from ansible_collections.community.zitadel.plugins.modules import org_metadata_bulk, user_metadata_bulk
from ansible_collections.community.zitadel.plugins.plugin_utils import _audit
from ansible_collections.community.zitadel.plugins.plugin_utils._audit import AuditInputError, build, to_html, to_json, to_junit
from ansible_collections.community.zitadel.tests.unit.plugins.modules.conftest import MISSING, OTHER_ORG, OWN_ORG, USER, USER2, USER3

SCHEMA = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'docs', 'audit-report.schema.json')
NOW = '2026-01-31T02:00:00Z'
TOKEN = 'pat-secret-123'  # the token run_module gives
CURRENT_SECRET = 'current-secret-4d1e'
DECLARED_SECRET = 'declared-secret-9b7c'


@pytest.fixture
def check_run(zitadel, run_module):
    """check_run(module, args): the module's result in check and diff mode against FakeZitadel, as the audit role registers
    it (failed_when: false); check_run.zitadel is the fake."""

    def run(module, args):
        result = run_module(module, dict({'_ansible_check_mode': True, '_ansible_diff': True}, **args))
        result['failed'] = False
        return result
    run.zitadel = zitadel
    return run


@pytest.fixture
def drift(check_run):
    """A known drift: an organisation in sync, a user with two updated keys (one matching sensitive_keys), one with a purged
    key, one lacking a key, one that does not exist."""
    entries = check_run.zitadel.entries
    entries[OWN_ORG].update({'region': b'eu-west'})
    entries[USER].update({'team': b'old-team', 'api_secret': CURRENT_SECRET.encode()})
    entries[USER2].update({'team': b'payments', 'stray': b'stray-value'})
    orgs = check_run(org_metadata_bulk, {'orgs': [{'org_id': OWN_ORG, 'metadata': {'region': 'eu-west'}}]})
    users = check_run(user_metadata_bulk, {
        'users': [{'user_id': USER, 'metadata': {'team': 'platform', 'api_secret': DECLARED_SECRET}},
                  {'login_name': 'bob@acme.example', 'metadata': {'team': 'payments'}},
                  {'user_id': USER3, 'org_id': OTHER_ORG, 'metadata': {'team': '<script>alert(1)</script>'}},
                  {'user_id': MISSING, 'metadata': {'team': 'ghost'}}],
        'purge': True, 'sensitive_keys': ['*_secret']})
    assert check_run.zitadel.writes() == []
    return orgs, users


def renderings(report):
    return {'json': to_json(report), 'html': to_html(report), 'junit': to_junit(report)}


def user_entry(user_id, org_id=OWN_ORG, **fields):
    entry = {'user_id': user_id, 'org_id': org_id, 'changed': False, 'failed': False, 'added': [], 'updated': [], 'removed': [],
             'unchanged': []}
    entry.update(fields)
    entry['changed'] = bool(entry['added'] or entry['updated'] or entry['removed'])
    return entry


def users_result(*entries):
    """A user_metadata_bulk result with one diff per changed entry, its values named after the keys."""
    diffs = [{'before': {k: 'was-' + k for k in e['updated'] + e['removed']}, 'after': {k: 'now-' + k for k in e['added'] + e['updated']}}
             for e in entries if e['changed'] and not e['failed']]
    return {'changed': False, 'failed': False, 'users': list(entries), 'diff': diffs}


def test_the_report_of_a_check_mode_run(drift):
    report = build(*drift, generated_at=NOW)
    assert report['schema_version'] == 1 and report['generated_at'] == NOW and report['status'] == 'failed'
    assert report['totals'] == {'targets': 5, 'in_sync': 1, 'drifted': 3, 'failed': 1, 'keys_added': 1, 'keys_updated': 2, 'keys_removed': 1}
    assert report['errors'] == []
    targets = report['targets']
    assert targets[0] == {'kind': 'organisation', 'id': OWN_ORG, 'name': None, 'org_id': OWN_ORG, 'status': 'in_sync', 'changes': [], 'error': None}
    assert targets[1] == {'kind': 'user', 'id': USER, 'name': None, 'org_id': None, 'status': 'drifted', 'error': None, 'changes': [
        {'key': 'api_secret', 'change': 'updated', 'current': '<sensitive>', 'declared': '<sensitive, changed>'},
        {'key': 'team', 'change': 'updated', 'current': 'old-team', 'declared': 'platform'}]}
    assert targets[2] == {'kind': 'user', 'id': USER2, 'name': 'bob@acme.example', 'org_id': OWN_ORG, 'status': 'drifted', 'error': None,
                          'changes': [{'key': 'stray', 'change': 'removed', 'current': '<not named by the task>', 'declared': None}]}
    assert targets[3] == {'kind': 'user', 'id': USER3, 'name': None, 'org_id': OTHER_ORG, 'status': 'drifted', 'error': None,
                          'changes': [{'key': 'team', 'change': 'added', 'current': None, 'declared': '<script>alert(1)</script>'}]}
    assert targets[4]['status'] == 'failed' and targets[4]['changes'] == [] and targets[4]['id'] == MISSING
    assert 'does not show this user' in targets[4]['error']
    # the organisation given without org_id (None), its own, and the other one; most drifted and failed first
    assert [(o['org_id'], o['targets'], o['in_sync'], o['drifted'], o['failed']) for o in report['organisations']] == [
        (None, 2, 0, 1, 1), (OWN_ORG, 2, 1, 1, 0), (OTHER_ORG, 1, 0, 1, 0)]


def test_secrets_stay_masked_in_every_file(drift):
    files = renderings(build(*drift, generated_at=NOW))
    for name, text in files.items():
        for secret in (CURRENT_SECRET, DECLARED_SECRET, TOKEN):
            assert secret not in text, '%s shows %s' % (name, secret)
        assert 'stray-value' not in text, '%s shows the value of a key the task does not name' % name
    assert '"current": "<sensitive>"' in files['json'] and '&lt;sensitive, changed&gt;' in files['html']
    assert 'updated api_secret: &lt;sensitive&gt; -&gt; &lt;sensitive, changed&gt;' in files['junit']


def test_sensitive_masks_every_value(check_run):
    check_run.zitadel.entries[USER].update({'team': b'old-team', 'stray': b'stray-value'})
    users = check_run(user_metadata_bulk, {'users': [{'user_id': USER, 'metadata': {'team': 'new-team'}}], 'purge': True, 'sensitive': True})
    report = build(users_result=users, generated_at=NOW)
    assert report['targets'][0]['changes'] == [
        {'key': 'team', 'change': 'updated', 'current': '<sensitive>', 'declared': '<sensitive, changed>'},
        {'key': 'stray', 'change': 'removed', 'current': '<not named by the task>', 'declared': None}]
    for name, text in renderings(report).items():
        assert not re.search('old-team|new-team|stray-value', text), name


def test_only_the_values_of_the_diffs_reach_the_report():
    """Registered results also hold the module's arguments and may hold metadata: the report never reads them."""
    result = users_result(user_entry(USER, added=['team'], metadata={'team': {'value': 'entry-value'}}))
    result['invocation'] = {'module_args': {'users': [{'user_id': USER, 'metadata': {'team': 'argument-value'}}], 'token': TOKEN}}
    result['metadata'] = {'team': {'value': 'top-value'}}
    for name, text in renderings(build(users_result=result, generated_at=NOW)).items():
        assert 'now-team' in text, name
        assert not re.search('entry-value|argument-value|top-value|%s' % TOKEN, text), name


def test_skipped_or_missing_results_add_no_target():
    report = build(orgs_result={'changed': False, 'skipped': True, 'skip_reason': 'Conditional result was False'}, generated_at=NOW)
    assert report['targets'] == [] and report['organisations'] == [] and report['status'] == 'in_sync'
    assert report['totals']['targets'] == 0
    assert 'No target was audited' in to_html(report) and 'Every audited target is as declared' in to_html(report)


def test_a_task_that_failed_as_a_whole_is_an_error_of_the_report():
    msg = "No user has the login name 'alise' in organisation %s. Nothing was written." % OWN_ORG
    report = build(users_result={'changed': False, 'failed': False, 'msg': msg}, generated_at=NOW)
    assert report['errors'] == [{'task': 'users', 'msg': msg}] and report['targets'] == [] and report['status'] == 'failed'
    suites = ET.fromstring(to_junit(report))
    assert suites.get('tests') == '1' and suites.get('failures') == '1'
    case = suites.find('testsuite/testcase')
    assert case.get('name') == 'community.zitadel.user_metadata_bulk' and case.find('failure').get('message') == msg
    assert 'Tasks that failed as a whole' in to_html(report) and 'alise' in to_html(report)


@pytest.mark.parametrize('result, message', [
    (['not', 'a', 'result'], 'users_result must be the registered result of community.zitadel.user_metadata_bulk, not list'),
    ({'changed': True, 'user_id': USER}, 'users_result holds no list users: register the result of community.zitadel.user_metadata_bulk'),
    ({'users': [user_entry(USER, added=['team'])]}, 'users_result has no diff: run community.zitadel.user_metadata_bulk with diff: true'),
    ({'users': [user_entry(USER, added=['team'])], 'diff': []}, 'users_result does not have one diff per changed target'),
    ({'users': [user_entry(USER)], 'diff': {'before': {}, 'after': {}}}, 'users_result does not have one diff per changed target'),
])
def test_results_it_cannot_read_are_refused(result, message):
    with pytest.raises(AuditInputError, match=re.escape(message)):
        build(users_result=result)


def test_values_are_shortened_and_json_values_compact():
    entry = user_entry(USER, added=['absent-null', 'json', 'long', 'short'])
    result = {'users': [entry], 'diff': [{'before': {}, 'after': {
        'absent-null': None, 'json': {'b': [1, 2.0], 'a': 'x'}, 'long': 'x' * 500, 'short': 'y' * 120}}]}
    changes = {c['key']: c['declared'] for c in build(users_result=result)['targets'][0]['changes']}
    assert changes == {'absent-null': 'null', 'json': '{"a":"x","b":[1,2.0]}', 'long': 'x' * 119 + '\u2026', 'short': 'y' * 120}


def test_a_lone_surrogate_does_not_break_a_rendering():
    result = {'users': [user_entry(USER, added=['k\udc80'])], 'diff': [{'before': {}, 'after': {'k\udc80': 'v\ud800'}}]}
    report = build(users_result=result, generated_at=NOW)
    assert report['targets'][0]['changes'][0]['key'] == 'k?'
    for text in renderings(report).values():
        text.encode('utf-8')


def test_html_escapes_every_field():
    evil = '<script>alert("x")</script>&'
    entries = [user_entry(USER, login_name=evil, added=[evil]), user_entry(USER2, failed=True, msg=evil)]
    result = users_result(*entries)
    result['diff'][0]['after'][evil] = evil
    page = to_html(build(orgs_result={'orgs': [{'org_id': 'o1', 'org_name': evil, 'changed': False, 'failed': False}]}, users_result=result))
    assert page.count('<script') == 1 and 'alert("x")' not in page
    assert page.count('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;') >= 4  # name, key, value, error (and chart)


def test_html_is_self_contained_and_its_policy_allows_only_its_own_style_and_script():
    page = to_html(build(users_result=users_result(user_entry(USER, added=['team'])), generated_at=NOW))
    assert not re.search(r'https?:|//|\bsrc=|\bhref=|url\(|@import', page)
    policy = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page).group(1)
    style = re.search(r'<style>(.*?)</style>', page, re.S).group(1)
    script = re.search(r'<script>(.*?)</script>', page, re.S).group(1)

    def digest(text):
        return "'sha256-%s'" % base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
    assert policy == "default-src 'none'; style-src %s; script-src %s" % (digest(style), digest(script))


def test_the_table_is_ordered_by_severity_and_capped():
    entries = [user_entry('u-one', added=['a']), user_entry('u-fail', failed=True, msg='refused'), user_entry('u-sync'),
               user_entry('u-three', added=['a'], updated=['b'], removed=['c']), user_entry('u-two', updated=['a', 'b'])]
    report = build(users_result=users_result(*entries), generated_at=NOW)
    assert [t['id'] for t in _audit.by_severity(report['targets'])] == ['u-fail', 'u-three', 'u-two', 'u-one', 'u-sync']

    def rows(page):
        return re.findall(r'<tr><td data-v="\d"><span class="tag \w+">\w+</span></td><td data-v="([^"]+)">', page)
    assert rows(to_html(report)) == ['u-fail', 'u-three', 'u-two', 'u-one']
    page = to_html(report, max_rows=2)
    assert rows(page) == ['u-fail', 'u-three'] and page.index('Showing 2 of 4; report.json holds all of them.') < page.index('<table>')
    assert rows(to_html(report, max_rows=0)) == []


def test_the_chart_draws_the_most_drifted_organisations():
    entries = [user_entry('u%02d' % n, org_id='org%02d' % n, added=['k'] if n % 2 else []) for n in range(25)]
    report = build(users_result=users_result(*entries), generated_at=NOW)
    page = to_html(report)
    bars = re.findall(r'<text x="\d+" y="\d+" text-anchor="end">(org\d+)</text>', page)
    assert bars[:12] == ['org%02d' % n for n in range(1, 25, 2)] and len(bars) == _audit.CHART_ORGS
    assert '5 more organisations are in report.json.' in page
    # the legend names the statuses in the order of the bars' segments, most severe first
    assert re.findall(r'<i class="(\w+)"></i>', page) == list(_audit.STATUSES)
    assert len(report['organisations']) == 25


def test_junit_has_one_case_per_target_and_fails_drift_and_failures(drift):
    report = build(*drift, generated_at=NOW)
    suites = ET.fromstring(to_junit(report))
    assert (suites.tag, suites.get('tests'), suites.get('failures'), suites.get('errors')) == ('testsuites', '5', '4', '0')
    cases = [(suite.get('name'), case.get('name'), [(f.get('type'), f.get('message')) for f in case.findall('failure')])
             for suite in suites for case in suite]
    assert cases[:4] == [
        ('zitadel.orgs', 'organisation %s' % OWN_ORG, []),
        ('zitadel.users', 'user %s' % USER, [('drift', 'drift: 2 updated')]),
        ('zitadel.users', 'user bob@acme.example (%s)' % USER2, [('drift', 'drift: 1 removed')]),
        ('zitadel.users', 'user %s' % USER3, [('drift', 'drift: 1 added')])]
    assert cases[4][1] == 'user %s' % MISSING and cases[4][2][0][0] == 'error' and 'does not show this user' in cases[4][2][0][1]
    assert suites.find('testsuite/testcase/failure[@type="drift"]').text == ('updated api_secret: <sensitive> -> <sensitive, changed>\n'
                                                                             'updated team: old-team -> platform')


def test_junit_stays_well_formed_with_control_characters():
    result = users_result(user_entry(USER, added=['bell\x07']))
    result['diff'][0]['after'] = {'bell\x07': 'nul\x00 and \x1b[0m'}
    failure = ET.fromstring(to_junit(build(users_result=result))).find('testsuite/testcase/failure')
    assert failure.text == 'added bell\ufffd: (absent) -> nul\ufffd and \ufffd[0m'


def test_json_follows_its_schema(drift):
    with open(SCHEMA, encoding='utf-8') as handle:
        schema = json.load(handle)
    jsonschema.Draft202012Validator.check_schema(schema)
    failed_task = build(orgs_result={'msg': 'refused'}, users_result=drift[1], generated_at=NOW)
    for report in (build(*drift), failed_task, build(users_result=users_result())):
        assert json.loads(to_json(report)) == report
        jsonschema.validate(json.loads(to_json(report)), schema, cls=jsonschema.Draft202012Validator)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(dict(report, status='unknown'), schema, cls=jsonschema.Draft202012Validator)


def test_write_replaces_the_files_and_says_whether_one_changed(tmp_path):
    report = build(users_result=users_result(user_entry(USER, added=['team'])), generated_at=NOW)
    dest = str(tmp_path / 'audit' / 'nightly')
    files, changed = _audit.write(report, dest)
    assert changed and sorted(os.listdir(dest)) == ['report.html', 'report.json', 'report.junit.xml']
    assert files == {name: os.path.join(dest, name) for name in _audit.FILES}
    with open(files['report.json'], encoding='utf-8') as handle:
        assert json.load(handle) == report
    assert _audit.write(report, dest) == (files, False)
    assert _audit.write(dict(report, generated_at='2026-02-01T02:00:00Z'), dest) == (files, True)


def test_ten_thousand_targets_stay_fast_and_the_page_small():
    entries = [user_entry('%018d' % n, org_id='org%03d' % (n % 150), added=['team'] if n % 3 else [], updated=['cost_center'] if n % 7 == 0 else [],
                          failed=n % 97 == 0, msg='refused' if n % 97 == 0 else None) for n in range(10000)]
    for entry in entries:
        if entry['failed']:
            entry.update(changed=False, added=[], updated=[])
    start = time.perf_counter()
    report = build(users_result=users_result(*entries))
    files = renderings(report)
    elapsed = time.perf_counter() - start
    sizes = {name: len(text.encode('utf-8')) for name, text in files.items()}
    assert report['totals']['targets'] == 10000 and len(report['organisations']) == 150
    assert files['html'].count('<tr><td') == _audit.MAX_ROWS
    assert elapsed < 20, 'built and rendered in %.1f s' % elapsed
    assert sizes['html'] < 1000000 and sizes['json'] < 8000000 and sizes['junit'] < 5000000, sizes
