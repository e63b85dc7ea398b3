# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The audit_report action: writes the three files on the controller, honours check mode, fails on drift when asked."""

from __future__ import annotations

import json
import os
from unittest.mock import MagicMock

import pytest
from ansible.errors import AnsibleActionFail
from ansible.playbook.task import Task
from ansible.plugins.loader import action_loader

IN_SYNC = {'users': [{'user_id': '1', 'org_id': 'o', 'changed': False, 'failed': False, 'added': [], 'updated': [], 'removed': []}], 'diff': []}
DRIFTED = {'users': [{'user_id': '1', 'org_id': 'o', 'changed': True, 'failed': False, 'added': ['team'], 'updated': [], 'removed': []}],
           'diff': [{'before': {}, 'after': {'team': 'platform'}}]}


def run(args, check_mode=False):
    task = Task()
    task.args = args
    task.check_mode = check_mode
    action = action_loader.get('community.zitadel.audit_report', task=task, connection=MagicMock(), play_context=MagicMock(),
                               loader=None, templar=None, shared_loader_obj=None)
    return action.run(task_vars={})


def test_writes_the_report_and_returns_its_totals(tmp_path):
    result = run({'users_result': DRIFTED, 'dest': str(tmp_path)})
    html = str(tmp_path / 'report.html')
    assert result['changed'] and not result.get('failed') and result['status'] == 'drifted'
    assert result['totals'] == {'targets': 1, 'in_sync': 0, 'drifted': 1, 'failed': 0, 'keys_added': 1, 'keys_updated': 0, 'keys_removed': 0}
    assert result['files']['report.html'] == html and result['errors'] == []
    assert result['msg'] == ('ZITADEL audit, 1 target: 0 in sync, 1 drifted, 0 failed; keys to add 1, to update 0, to remove 0. '
                             'Report: %s' % html)
    with open(result['files']['report.json'], encoding='utf-8') as handle:
        assert json.load(handle)['targets'][0]['changes'] == [{'key': 'team', 'change': 'added', 'current': None, 'declared': 'platform'}]


def test_check_mode_writes_nothing(tmp_path):
    result = run({'users_result': DRIFTED, 'dest': str(tmp_path / 'audit')}, check_mode=True)
    assert result['changed'] and result['msg'].startswith('Check mode: the report was not written. 1 target:')
    assert result['files']['report.json'] == str(tmp_path / 'audit' / 'report.json')
    assert not os.path.exists(tmp_path / 'audit')


@pytest.mark.parametrize('users_result, failed', [(DRIFTED, True), (IN_SYNC, False), ({'msg': 'refused'}, True)])
def test_fail_on_drift_fails_once_the_files_are_written(tmp_path, users_result, failed):
    result = run({'users_result': users_result, 'dest': str(tmp_path), 'fail_on_drift': True})
    assert bool(result.get('failed')) == failed
    assert sorted(os.listdir(tmp_path)) == ['report.html', 'report.json', 'report.junit.xml']


@pytest.mark.parametrize('args, message', [
    ({'users_result': DRIFTED, 'dest': '.', 'max_rows': -1}, 'max_rows must be 0 or more, not -1.'),
    ({'users_result': {'users': DRIFTED['users']}, 'dest': '.'}, 'users_result has no diff'),
])
def test_bad_arguments_fail_before_anything_is_written(tmp_path, args, message):
    args['dest'] = str(tmp_path / 'audit')
    result = run(args)
    assert result['failed'] and result['msg'].startswith(message)
    assert not os.path.exists(tmp_path / 'audit')


@pytest.mark.parametrize('args, message', [
    ({'dest': '/tmp/audit'}, 'one of the following is required: orgs_result, users_result'),
    ({'users_result': IN_SYNC}, 'missing required arguments: dest'),
    ({'users_result': IN_SYNC, 'dest': '/tmp/audit', 'title': 'x'}, 'Unsupported parameters'),
])
def test_the_argument_spec_is_enforced(args, message):
    with pytest.raises(AnsibleActionFail, match=message):
        run(args)
