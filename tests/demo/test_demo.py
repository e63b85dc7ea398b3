# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`make demo` as a reader runs it, checked from its output, and the audit report it ends with as a reader sees it in
headless Chromium (tests/chromium.py); then a report of 10,000 targets, which must stay usable. Each page is saved as a
full-page screenshot beside it: .build/demo-audit/report.png and .build/demo-audit-10000/report.png.

UPDATE_SCREENSHOTS=1 also rewrites docs/docsite/rst/audit-report.png, the audit guide's picture of the demo's report.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / 'tests'), str(ROOT / '.build' / 'collections')]
# pylint: disable=wrong-import-position
import chromium  # noqa: E402
from ansible_collections.community.zitadel.plugins.plugin_utils import _audit  # noqa: E402

# The command of `make demo`, read from the Makefile so that this test runs what a reader runs.
DEMO_COMMAND = shlex.split(re.search(r'^demo:.*\n(?:\t.*\n)*?\t(\S+ hack/with_server\.py .*)$', (ROOT / 'Makefile').read_text(), re.M).group(1))
DECLARED = yaml.safe_load((ROOT / 'demo' / 'declared.yml').read_text())
RUN_SH = (ROOT / 'demo' / 'run.sh').read_text()
DEMO_TOKEN = re.search(r'^export ZITADEL_TOKEN=(\S+)$', RUN_SH, re.M).group(1)
DRIFTED_VALUE = re.search(r"printf '(\w+)' \| base64", RUN_SH).group(1)  # what run.sh writes to alice's team behind Ansible's back
GUIDE_PICTURE = ROOT / 'docs' / 'docsite' / 'rst' / 'audit-report.png'
GUIDE_PICTURE_WIDTH = 1100  # the seven totals in one row; the guide shows it about 880 pixels wide
STEP = re.compile(r'^\x1b\[1m==> (\d+)\. .*\x1b\[0m$', re.M)
RECAP = re.compile(r'^localhost\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', re.M)
CARDS = {'targets': 'targets', 'in sync': 'in_sync', 'drifted': 'drifted', 'failed': 'failed',
         'keys to add': 'keys_added', 'keys to update': 'keys_updated', 'keys to remove': 'keys_removed'}
MANY = 10000
MAX_NODES = 15000  # about 20 elements per row of the table; one row per target would be 200,000


@pytest.fixture(scope='module')
def demo():
    """The output of `make demo`'s command, by step number."""
    run = subprocess.run(DEMO_COMMAND, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stdout
    parts = STEP.split(run.stdout)
    return {int(number): text for number, text in zip(parts[1::2], parts[2::2])}


@pytest.fixture(scope='module')
def browser():
    with chromium.launch() as context:
        yield context


def recap(output):
    """ok, changed, unreachable and failed of the one play's recap."""
    (counts,) = RECAP.findall(output)
    return dict(zip(('ok', 'changed', 'unreachable', 'failed'), map(int, counts)))


def alice():
    (user,) = [user for user in DECLARED['zitadel_metadata_users'] if user.get('login_name') == 'alice']
    return user


def open_report(browser, directory):
    """The report opened from its file; it may load nothing else, neither from the network nor from the disk."""
    page = chromium.Page(browser, directory / 'report.html', directory / 'report.png')
    assert page.requests == [page.path.as_uri()]
    return page


def check_summaries(page, report):
    """The seven totals of report.json, in the cards at the top of the page, above the fold."""
    shown = {}
    for card in page.texts('.card'):
        number, label = card.split('\n')
        shown[label] = int(number.replace(',', ''))
    assert shown == {label: report['totals'][field] for label, field in CARDS.items()}
    cards = page.page.locator('.cards').bounding_box()
    assert cards['y'] + cards['height'] <= chromium.VIEWPORT['height']


def test_the_demo_applies_then_changes_nothing_then_shows_the_drift(demo):
    assert sorted(demo) == [1, 2, 3, 4, 5, 6]
    first, second, check = recap(demo[1]), recap(demo[2]), recap(demo[4])
    assert first['changed'] > 0 and first['failed'] == 0
    assert second == dict(first, changed=0)
    # check mode reports alice's team as it would change it, in a diff, and ZITADEL keeps the value set behind Ansible's back
    assert check == dict(first, changed=1)
    assert re.search(r'^-\s+"team": "%s",$\n^\+\s+"team": "%s",$' % (DRIFTED_VALUE, alice()['metadata']['team']), demo[4], re.M)
    assert demo[5].strip() == 'team = %s' % DRIFTED_VALUE


def test_the_demo_ends_with_the_path_of_the_report(demo):
    report = ROOT / '.build' / 'demo-audit' / 'report.html'
    assert demo[6].strip().splitlines()[-1] == 'Open the report: %s' % report
    assert report.is_file()


@pytest.mark.usefixtures('demo')
def test_the_report_holds_the_change_behind_ansibles_back():
    directory = ROOT / '.build' / 'demo-audit'
    report = json.loads((directory / 'report.json').read_text())
    declared = DECLARED['zitadel_metadata_orgs'] + DECLARED['zitadel_metadata_users']
    assert report['status'] == 'drifted' and report['errors'] == []
    assert report['totals'] == {'targets': len(declared), 'in_sync': len(declared) - 1, 'drifted': 1, 'failed': 0,
                                'keys_added': 0, 'keys_updated': 1, 'keys_removed': 0}
    (drifted,) = [target for target in report['targets'] if target['status'] != 'in_sync']
    assert (drifted['kind'], drifted['name']) == ('user', 'alice')
    assert drifted['changes'] == [{'key': 'team', 'change': 'updated', 'current': DRIFTED_VALUE, 'declared': alice()['metadata']['team']}]
    for name in _audit.FILES:
        assert DEMO_TOKEN not in (directory / name).read_text(), '%s shows the token' % name


@pytest.mark.usefixtures('demo')
def test_the_report_page_shows_the_totals_the_drift_and_the_chart(browser):
    directory = ROOT / '.build' / 'demo-audit'
    report = json.loads((directory / 'report.json').read_text())
    page = open_report(browser, directory)
    assert page.texts('h1') == ['ZITADEL metadata audit Drift found']
    check_summaries(page, report)
    # the drifted target, with its key-level change
    (drifted,) = [target for target in report['targets'] if target['status'] == 'drifted']
    rows = page.page.eval_on_selector_all('tbody tr', 'rows => rows.map(row => Array.from(row.cells, cell => cell.innerText.trim()))')
    assert rows == [['DRIFTED', 'user alice %s' % drifted['id'], drifted['org_id'], '1',
                     'UPDATED team %s \N{RIGHTWARDS ARROW} %s' % (DRIFTED_VALUE, alice()['metadata']['team'])]]
    # the chart: one bar per organisation, its segments as long as its counts, most severe first
    (org,) = report['organisations']
    assert page.page.locator('svg[role=img]').is_visible()
    bars = page.page.eval_on_selector_all('svg rect', 'bars => bars.map(bar => [bar.getAttribute("class"), bar.getBoundingClientRect().width])')
    assert [status for status, _width in bars] == [status for status in _audit.STATUSES if org[status]]
    widths = dict(bars)
    assert widths['in_sync'] == pytest.approx(widths['drifted'] * org['in_sync'] / org['drifted'], abs=1)
    if os.environ.get('UPDATE_SCREENSHOTS') == '1':
        save_guide_picture(browser, directory / 'report.html')
    page.close()


def save_guide_picture(browser, report):
    """The report's content, without the empty rest of the window, as a small PNG of 256 colours."""
    page = browser.new_page()
    page.set_viewport_size({'width': GUIDE_PICTURE_WIDTH, 'height': chromium.VIEWPORT['height']})
    page.goto(report.as_uri(), wait_until='load')
    content = page.locator('main').bounding_box()
    page.screenshot(path=str(GUIDE_PICTURE), clip={'x': 0, 'y': 0, 'width': GUIDE_PICTURE_WIDTH, 'height': content['y'] + content['height']})
    page.close()
    Image.open(GUIDE_PICTURE).convert('RGB').quantize(256, Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(GUIDE_PICTURE, optimize=True)


def many_targets():
    """The registered result of user_metadata_bulk in check and diff mode for 10,000 users in 50 organisations: every
    tenth drifted (one key updated, some keys to add or remove), every 250th failed."""
    users, diffs = [], []
    for number in range(MANY):
        user = {'user_id': '7%017d' % number, 'login_name': 'user%05d@org%02d.example' % (number, number % 50),
                'org_id': '6%017d' % (number % 50), 'changed': False, 'failed': False, 'added': [], 'updated': [], 'removed': [],
                'unchanged': ['tenant']}
        if number % 250 == 7:
            user.update(failed=True, msg='ZITADEL does not show this user: it does not exist, or the service account may not see it.')
        elif number % 10 == 3:
            user.update(changed=True, updated=['team'], added=['cost-center'] if number % 30 == 3 else [],
                        removed=['legacy'] if number % 70 == 3 else [])
            diffs.append({'before': {'team': 'sales', 'legacy': '<not named by the task>'}, 'after': {'team': 'platform', 'cost-center': '4711'}})
        users.append(user)
    return {'changed': False, 'users': users, 'diff': diffs}


def test_a_report_of_ten_thousand_targets_stays_usable(browser):
    directory = ROOT / '.build' / ('demo-audit-%d' % MANY)
    report = _audit.build(users_result=many_targets())
    _audit.write(report, str(directory))
    listed = [target for target in report['targets'] if target['status'] != 'in_sync']
    assert report['totals']['targets'] == MANY and len(listed) > _audit.MAX_ROWS and len(report['organisations']) > _audit.CHART_ORGS
    page = open_report(browser, directory)
    check_summaries(page, report)
    # the table is capped, and says so above its first row
    assert page.page.locator('tbody tr').count() == _audit.MAX_ROWS
    note = page.page.get_by_text('Showing {:,} of {:,}; report.json holds all of them.'.format(_audit.MAX_ROWS, len(listed)))
    assert note.is_visible() and note.bounding_box()['y'] < page.page.locator('table').bounding_box()['y']
    assert page.page.locator('svg text[text-anchor=end]').count() == _audit.CHART_ORGS
    assert page.texts('p.note')[0] == '%d more organisations are in report.json.' % (len(report['organisations']) - _audit.CHART_ORGS)
    # the page stays small whatever the number of targets
    assert page.page.evaluate("document.getElementsByTagName('*').length") < MAX_NODES
    assert (directory / 'report.html').stat().st_size < 1000000
    page.close()
