# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The drift report of ZITADEL metadata: one model built from check-mode results, three renderings of it.

build() reads the registered results of org_metadata_bulk and user_metadata_bulk, run in check and diff
mode, into one report: totals, one entry per target with its key-level changes, and the drift per
organisation. Values are copied from the modules' diffs, which already mask `sensitive` tasks,
`sensitive_keys` and keys the task does not name; nothing here reads ZITADEL or unmasks a value.
to_json(), to_html() and to_junit() render that report; write() puts the three files in a directory.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

SCHEMA_VERSION = 1
VALUE_CHARS = 120  # values are cut to this many characters, the last one an ellipsis
CHART_ORGS = 20  # organisations drawn in the chart, most drifted first; report.json holds all of them
MAX_ROWS = 500  # default rows of the HTML table, most severe first; report.json holds every target
FILES = ('report.json', 'report.html', 'report.junit.xml')
CHANGES = ('added', 'updated', 'removed')
STATUSES = ('failed', 'drifted', 'in_sync')  # most severe first
_RANK = {status: index for index, status in enumerate(STATUSES)}
# option of the bulk module -> kind of its targets, the module, and the result fields naming a target
KINDS = {
    'orgs': ('organisation', 'org_metadata_bulk', 'org_id', 'org_name'),
    'users': ('user', 'user_metadata_bulk', 'user_id', 'login_name'),
}


class AuditInputError(ValueError):
    """A result that cannot be read into the report; the message says which and why."""


def build(orgs_result=None, users_result=None, generated_at=None):
    """The report of the registered results of org_metadata_bulk (orgs) and user_metadata_bulk (users)."""
    targets, errors = [], []
    for option, result in (('orgs', orgs_result), ('users', users_result)):
        error = _read_result(option, result, targets)
        if error:
            errors.append(error)
    totals = _counter(targets=0)
    organisations = {}
    for target in targets:
        org = organisations.setdefault(target['org_id'], _counter(org_id=target['org_id'], name=None, targets=0))
        if target['kind'] == 'organisation' and target['name']:
            org['name'] = target['name']
        for counter in (totals, org):
            counter['targets'] += 1
            counter[target['status']] += 1
            for change in target['changes']:
                counter['keys_' + change['change']] += 1
    status = 'failed' if totals['failed'] or errors else 'drifted' if totals['drifted'] else 'in_sync'
    return {
        'schema_version': SCHEMA_VERSION,
        'generated_at': generated_at or datetime.now(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
        'status': status,
        'totals': totals,
        'errors': errors,
        'organisations': sorted(organisations.values(), key=lambda o: (-o['drifted'] - o['failed'], -o['failed'], o['org_id'] or '')),
        'targets': targets,
    }


def _counter(**fields):
    fields.update(dict.fromkeys(('in_sync', 'drifted', 'failed') + tuple('keys_' + change for change in CHANGES), 0))
    return fields


def _read_result(option, result, targets):
    """Append the targets of one registered result; return the task's error when it failed as a whole."""
    kind, module, id_field, name_field = KINDS[option]
    where = '%s_result' % option
    if result is None or (isinstance(result, dict) and result.get('skipped')):
        return None
    if not isinstance(result, dict):
        raise AuditInputError('%s must be the registered result of community.zitadel.%s, not %s.' % (where, module, type(result).__name__))
    entries = result.get(option)
    if entries is None and result.get('msg'):
        # a login name not found, credentials refused: the task failed before it read any target
        return {'task': option, 'msg': _text(result['msg'])}
    if not isinstance(entries, list):
        raise AuditInputError('%s holds no list %s: register the result of community.zitadel.%s given the %s option.'
                              % (where, option, module, option))
    drifted = sum(1 for entry in entries if entry.get('changed') and not entry.get('failed'))
    diffs = result.get('diff')
    if diffs is None and drifted:
        raise AuditInputError('%s has no diff: run community.zitadel.%s with diff: true (and check_mode: true), so that the '
                              'report can show the values.' % (where, module))
    diffs = diffs or []
    if not isinstance(diffs, list) or len(diffs) != drifted:
        raise AuditInputError('%s does not have one diff per changed target; register the result of one task, unmodified.' % where)
    diffs = iter(diffs)
    for entry in entries:
        failed = bool(entry.get('failed'))
        diff = next(diffs) if entry.get('changed') and not failed else None
        targets.append({
            'kind': kind,
            'id': _text(entry.get(id_field)),
            'name': _text(entry.get(name_field)),
            'org_id': _text(entry.get('org_id')),
            'status': 'failed' if failed else 'drifted' if diff else 'in_sync',
            'changes': _changes(entry, diff) if diff else [],
            'error': _text(entry.get('msg')) if failed else None,
        })
    return None


def _changes(entry, diff):
    before, after = diff.get('before') or {}, diff.get('after') or {}
    return [{'key': _text(key), 'change': change,
             'current': _shown(before, key) if change != 'added' else None,
             'declared': _shown(after, key) if change != 'removed' else None}
            for change in CHANGES for key in entry.get(change) or ()]


def _shown(values, key):
    """A value of the diff as text, shortened; None when the key is absent. JSON values are shown compact."""
    if key not in values:
        return None
    value = values[key]
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(',', ':'))
    text = _text(text)
    return text if len(text) <= VALUE_CHARS else text[:VALUE_CHARS - 1] + '\u2026'


def _text(value):
    """Text that every rendering can encode (a lone surrogate becomes '?'); None stays None."""
    if value is None:
        return None
    return str(value).encode('utf-8', 'replace').decode('utf-8')


def _label(target):
    """How a target is named to people: its name and ID, or what of them is known."""
    name, ident = target['name'], target['id']
    if name and ident:
        return '%s (%s)' % (name, ident)
    return name or ident or '(unknown)'


def _org_label(org):
    return org['name'] or org['org_id'] or "the service account's own organisation"


def by_severity(targets):
    """Failed targets first, then drifted ones with the most key changes, then in sync; by kind and name within."""
    return sorted(targets, key=lambda t: (_RANK[t['status']], -len(t['changes']), t['kind'], _label(t)))


def summary(report):
    totals = report['totals']
    text = '%s: %d in sync, %d drifted, %d failed; keys to add %d, to update %d, to remove %d' % (
        _count(totals['targets'], 'target'), totals['in_sync'], totals['drifted'], totals['failed'],
        totals['keys_added'], totals['keys_updated'], totals['keys_removed'])
    if report['errors']:
        text += '; %s failed as a whole' % _count(len(report['errors']), 'task')
    return text


def _count(number, noun):
    return '%d %s%s' % (number, noun, '' if number == 1 else 's')


def to_json(report):
    return json.dumps(report, ensure_ascii=False, indent=1) + '\n'


# ---- JUnit XML: one test case per target; a drifted or failed target is a failed case.

_XML_INVALID = re.compile('[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]')


def _xml(text):
    return _XML_INVALID.sub('\ufffd', text)


def _change_line(change):
    return '%s %s: %s -> %s' % (change['change'], change['key'], _or_absent(change['current']), _or_absent(change['declared']))


def _or_absent(value):
    return '(absent)' if value is None else value


def to_junit(report):
    totals = report['totals']
    failures = totals['drifted'] + totals['failed'] + len(report['errors'])
    root = ET.Element('testsuites', name='ZITADEL metadata audit', tests=str(totals['targets'] + len(report['errors'])),
                      failures=str(failures), errors='0', skipped='0', timestamp=report['generated_at'])
    for option, (kind, module, _id, _name) in KINDS.items():
        targets = [t for t in report['targets'] if t['kind'] == kind]
        errors = [e for e in report['errors'] if e['task'] == option]
        if not targets and not errors:
            continue
        failed = sum(1 for t in targets if t['status'] != 'in_sync') + len(errors)
        suite = ET.SubElement(root, 'testsuite', name='zitadel.%s' % option, tests=str(len(targets) + len(errors)),
                              failures=str(failed), errors='0', skipped='0', timestamp=report['generated_at'])
        for error in errors:
            case = ET.SubElement(suite, 'testcase', classname='zitadel.%s' % option, name='community.zitadel.%s' % module, time='0')
            ET.SubElement(case, 'failure', type='error', message=_xml(error['msg'])).text = _xml(error['msg'])
        for target in targets:
            case = ET.SubElement(suite, 'testcase', classname='zitadel.%s' % option, name=_xml('%s %s' % (kind, _label(target))), time='0')
            if target['status'] == 'failed':
                ET.SubElement(case, 'failure', type='error', message=_xml(target['error'])).text = _xml(target['error'])
            elif target['status'] == 'drifted':
                counts = ', '.join('%d %s' % (n, change) for change in CHANGES
                                   for n in [sum(1 for c in target['changes'] if c['change'] == change)] if n)
                ET.SubElement(case, 'failure', type='drift', message='drift: %s' % counts).text = _xml(
                    '\n'.join(_change_line(c) for c in target['changes']))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding='unicode') + '\n'


# ---- HTML: one self-contained page; summaries first, then the most severe targets.

_STYLE = '''
:root{--ok:#2f855a;--drift:#c05621;--fail:#c53030;--ink:#1a202c;--muted:#5a6778;--line:#e2e8f0;--bg:#f4f6f9}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1240px;margin:0 auto;padding:28px 24px 40px}
h1{font-size:22px;margin:0}
h2{font-size:16px;margin:0 0 12px}
.meta{color:var(--muted);margin:6px 0 0}
.badge{display:inline-block;padding:1px 10px;border-radius:999px;color:#fff;font-size:12px;font-weight:600;vertical-align:2px}
.in_sync{--c:var(--ok)}.drifted{--c:var(--drift)}.failed{--c:var(--fail)}
.badge,.tag{background:var(--c,var(--muted))}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(120px,1fr));gap:12px;margin:20px 0}
.card{background:#fff;border:1px solid var(--line);border-top:4px solid var(--c,var(--muted));border-radius:8px;padding:10px 14px}
.card b{display:block;font-size:28px;line-height:1.2}
.card span{color:var(--muted)}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:16px 20px;margin:16px 0;overflow-x:auto}
.errors{border-left:4px solid var(--fail);background:#fff5f5}
svg{max-width:100%;height:auto}
svg text{font-size:12px;fill:var(--ink)}
svg rect{fill:var(--c)}
.lead{color:var(--muted);margin:0 0 8px}
.lead i{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 4px 0 12px;background:var(--c)}
table{width:100%;border-collapse:collapse}
th,td{text-align:left;vertical-align:top;padding:8px 10px;border-bottom:1px solid var(--line)}
th{white-space:nowrap;border-bottom:2px solid var(--line)}
th button{font:inherit;font-weight:600;color:inherit;background:none;border:0;padding:0;cursor:pointer}
th[aria-sort=ascending] button::after{content:" \\25B2"}
th[aria-sort=descending] button::after{content:" \\25BC"}
.n{text-align:right;white-space:nowrap}
.tag{display:inline-block;min-width:64px;text-align:center;padding:0 6px;border-radius:4px;color:#fff;font-size:11px;font-weight:600;text-transform:uppercase}
.tag.added{--c:#2b6cb0}.tag.updated{--c:var(--drift)}.tag.removed{--c:#6b46c1}
ul{list-style:none;margin:0;padding:0}
li{margin:2px 0}
code,.v{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;word-break:break-all}
.v{background:#edf2f7;border-radius:4px;padding:0 4px}
.absent{color:var(--muted);font-style:italic}
.id{color:var(--muted);font-size:12px}
code.org{white-space:nowrap;word-break:normal}
.error{color:var(--fail)}
.note{color:var(--muted);margin:12px 0 0}
'''

_SCRIPT = '''
document.querySelectorAll('th button').forEach(function (button) {
  button.addEventListener('click', function () {
    var th = button.parentNode, body = th.closest('table').tBodies[0], col = th.cellIndex;
    var asc = th.getAttribute('aria-sort') !== 'ascending';
    th.parentNode.querySelectorAll('th').forEach(function (h) { h.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
    Array.prototype.slice.call(body.rows).sort(function (a, b) {
      var x = a.cells[col].dataset.v, y = b.cells[col].dataset.v, d = x - y;
      d = isNaN(d) ? x.localeCompare(y) : d;
      return asc ? d : -d;
    }).forEach(function (row) { body.appendChild(row); });
  });
});
'''

_TITLES = {'in_sync': 'In sync', 'drifted': 'Drift found', 'failed': 'Audit incomplete'}


def _csp_hash(text):
    return "'sha256-%s'" % base64.b64encode(hashlib.sha256(text.encode('utf-8')).digest()).decode('ascii')


def _e(value):
    return html.escape(str(value), quote=True)


def _value(value):
    return '<span class="absent">absent</span>' if value is None else '<span class="v">%s</span>' % _e(value)


def to_html(report, max_rows=MAX_ROWS):
    totals = report['totals']
    rows = by_severity([t for t in report['targets'] if t['status'] != 'in_sync'])
    policy = "default-src 'none'; style-src %s; script-src %s" % (_csp_hash(_STYLE), _csp_hash(_SCRIPT))
    cards = [('targets', totals['targets'], 'targets'), ('in_sync', totals['in_sync'], 'in sync'),
             ('drifted', totals['drifted'], 'drifted'), ('failed', totals['failed'], 'failed'),
             ('', totals['keys_added'], 'keys to add'), ('', totals['keys_updated'], 'keys to update'),
             ('', totals['keys_removed'], 'keys to remove')]
    out = [
        '<!DOCTYPE html>',
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="%s">' % policy,
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<title>ZITADEL metadata audit: %s</title>' % _e(_TITLES[report['status']].lower()),
        '<style>%s</style></head><body><main>' % _STYLE,
        '<header><h1>ZITADEL metadata audit <span class="badge %s">%s</span></h1>' % (report['status'], _TITLES[report['status']]),
        '<p class="meta">Generated %s</p></header>' % _e(report['generated_at']),
        '<div class="cards">%s</div>' % ''.join('<div class="card %s"><b>%s</b><span>%s</span></div>' % (cls, '{:,}'.format(n), text)
                                                for cls, n, text in cards),
    ]
    if report['errors']:
        out.append('<section class="errors"><h2>Tasks that failed as a whole: their targets were not audited</h2><ul>%s</ul></section>'
                   % ''.join('<li><b>%s</b>: <span class="error">%s</span></li>' % (_e(e['task']), _e(e['msg'])) for e in report['errors']))
    out.append(_chart(report['organisations']))
    out.append(_table(rows, max_rows))
    out.append('<p class="note">report.json holds every target and organisation (schema version %d); report.junit.xml has one test '
               'case per target.</p></main><script>%s</script></body></html>\n' % (SCHEMA_VERSION, _SCRIPT))
    return '\n'.join(out)


def _chart(organisations):
    """Horizontal bars, one per organisation: its targets in sync, drifted and failed, to one scale."""
    shown = organisations[:CHART_ORGS]
    head = '<section><h2>Drift per organisation</h2>'
    if not shown:
        return head + '<p class="note">No target was audited.</p></section>'
    legend = '<p class="lead">Targets of each organisation (itself and its users):%s</p>' % ''.join(
        '<i class="%s"></i>%s' % (status, status.replace('_', ' ')) for status in STATUSES)  # in the order of the bars
    name_w, bar_w, row_h = 260, 560, 26  # the counts after a bar take 190 more
    scale = float(bar_w) / max(org['targets'] for org in shown)
    size = (name_w + bar_w + 190, row_h * len(shown))
    parts = ['<svg role="img" aria-label="Drift per organisation" width="%d" height="%d" viewBox="0 0 %d %d">' % (size + size)]
    for index, org in enumerate(shown):
        y = index * row_h
        name = _org_label(org)
        parts.append('<text x="%d" y="%d" text-anchor="end">%s</text>' % (name_w - 8, y + 17, _e(name if len(name) <= 38 else name[:37] + '\u2026')))
        x = float(name_w)
        for status in STATUSES:
            if org[status]:
                width = org[status] * scale
                parts.append('<rect class="%s" x="%.1f" y="%d" width="%.1f" height="%d"><title>%s: %d %s</title></rect>'
                             % (status, x, y + 5, width, row_h - 10, _e(name), org[status], status.replace('_', ' ')))
                x += width
        parts.append('<text x="%.1f" y="%d">%s</text>' % (x + 8, y + 17, _e('%d drifted, %d failed of %d' % (org['drifted'], org['failed'], org['targets']))))
    parts.append('</svg>')
    more = len(organisations) - len(shown)
    note = '<p class="note">%d more organisations are in report.json.</p>' % more if more > 0 else ''
    return head + legend + ''.join(parts) + note + '</section>'


def _table(rows, max_rows):
    head = '<section><h2>Drifted and failed targets</h2>'
    if not rows:
        return head + '<p class="note">Every audited target is as declared.</p></section>'
    shown = rows[:max_rows]
    body = []
    for target in shown:
        if target['status'] == 'failed':
            detail = '<span class="error">%s</span>' % _e(target['error'])
        else:
            detail = '<ul>%s</ul>' % ''.join('<li><span class="tag %s">%s</span> <code>%s</code> %s &rarr; %s</li>' % (
                c['change'], c['change'], _e(c['key']), _value(c['current']), _value(c['declared'])) for c in target['changes'])
        org = target['org_id'] or ''
        body.append('<tr><td data-v="%d"><span class="tag %s">%s</span></td><td data-v="%s">%s %s</td><td data-v="%s"><code class="org">%s</code></td>'
                    '<td class="n" data-v="%d">%d</td><td>%s</td></tr>'
                    % (_RANK[target['status']], target['status'], target['status'].replace('_', ' '), _e(_label(target)),
                       target['kind'], _name_cell(target), _e(org), _e(org), len(target['changes']), len(target['changes']), detail))
    # Above the table, so that a reader of a long page knows at once whether it shows every target.
    note = ('<p class="lead">Showing %s of %s; report.json holds all of them. Most severe first: failed targets, then the most '
            'key changes; click a column to sort.</p>' % ('{:,}'.format(len(shown)), '{:,}'.format(len(rows))))
    return (head + note + '<table><thead><tr><th><button type="button">Status</button></th><th><button type="button">Target</button></th>'
            '<th><button type="button">Organisation</button></th><th class="n"><button type="button">Changes</button></th>'
            '<th>Keys: current &rarr; declared</th></tr></thead><tbody>%s</tbody></table></section>' % '\n'.join(body))


def _name_cell(target):
    if target['name'] and target['id']:
        return '%s <span class="id">%s</span>' % (_e(target['name']), _e(target['id']))
    return _e(target['name'] or target['id'] or '(unknown)')


def paths(dest):
    """{file name: path} of the report in the directory dest."""
    return {name: os.path.join(dest, name) for name in FILES}


def write(report, dest, max_rows=MAX_ROWS):
    """Write the three files to the directory dest, each replaced at once; ({file name: path}, whether one changed)."""
    os.makedirs(dest, exist_ok=True)
    files, changed = paths(dest), False
    for name, text in zip(FILES, (to_json(report), to_html(report, max_rows), to_junit(report))):
        path = files[name]
        data = text.encode('utf-8')
        try:
            with open(path, 'rb') as handle:
                if handle.read() == data:
                    continue
        except FileNotFoundError:
            pass
        temporary = '%s.%d.tmp' % (path, os.getpid())
        with open(temporary, 'wb') as handle:
            handle.write(data)
        os.replace(temporary, path)
        changed = True
    return files, changed
