# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# One action plugin rather than filters and three copy tasks: the report of 10,000 targets is built once and
# written where the play runs, without passing megabytes through module arguments or showing them in a diff,
# and fail_on_drift fails the task only once every file is written.

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.community.zitadel.plugins.plugin_utils._audit import MAX_ROWS, AuditInputError, build, paths, summary, write

ARGUMENT_SPEC = {
    'orgs_result': {'type': 'dict'},
    'users_result': {'type': 'dict'},
    'dest': {'type': 'path', 'required': True},
    'max_rows': {'type': 'int', 'default': MAX_ROWS},
    'fail_on_drift': {'type': 'bool', 'default': False},
}


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC, required_one_of=[('orgs_result', 'users_result')])
        if args['max_rows'] < 0:
            return dict(result, failed=True, msg='max_rows must be 0 or more, not %d.' % args['max_rows'])
        try:
            report = build(orgs_result=args['orgs_result'], users_result=args['users_result'])
        except AuditInputError as exc:
            return dict(result, failed=True, msg=str(exc))
        if self._task.check_mode:
            files, changed = paths(args['dest']), True
            msg = 'Check mode: the report was not written. %s.' % summary(report)
        else:
            files, changed = write(report, args['dest'], args['max_rows'])
            msg = 'ZITADEL audit, %s. Report: %s' % (summary(report), files['report.html'])
        result.update(changed=changed, status=report['status'], totals=report['totals'], errors=report['errors'], files=files, msg=msg)
        if args['fail_on_drift'] and report['status'] != 'in_sync':
            result['failed'] = True
        return result
