#!/usr/bin/env python
# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Time and count the requests of the collection against the local server, side by side with other ways.

    hack/benchmark.py [--users N] [--keys-per-user K] [--concurrency C] [--bulk-keys M] [--memory-users A,B,...]

1. Many users in one task: a check-mode audit of N users x K keys as one task of user_metadata_bulk,
   the raw floor (the same list requests from one requests.Session with the same concurrency), the
   same audit as a loop of user_metadata_bulk, and as the ansible.builtin.uri loop people write
   today (one GET per user and key). The two loops run on a sample of the users; their time is
   extrapolated to N users, and the table says so.
2. A full change of all N x K values in one task, against its raw floor (a list and a set per user).
3. Peak memory (maximum resident set size) of the module process auditing A, B, ... users x K keys.
4. One user with M keys: the reconcile engine without Ansible's start-up (add, in sync, check mode, purge).

The one-task runs, their raw floors and the one-user runs are measured over ZITADEL's v1 and v2 APIs
(api_version v1 and v2), side by side.

Task times are measured inside the playbook (a timestamp before and after the task), so Ansible's
start-up is not counted; request counts come from the server's request log.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import requests
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, 'tests', 'server'), os.path.join(ROOT, '.build', 'collections')]
# pylint: disable=wrong-import-position
from ansible_collections.community.zitadel.plugins.module_utils._options import metadata_api  # noqa: E402
from ansible_collections.community.zitadel.plugins.module_utils._owners import User  # noqa: E402
from ansible_collections.community.zitadel.plugins.module_utils._reconcile import Codec, Masking, declare, reconcile  # noqa: E402
from zitadel_server import ZitadelServer  # noqa: E402

ORG = '500000000000000001'
TOKEN = 'benchmark-pat-not-a-secret'
ANSIBLE_BIN = os.path.dirname(sys.executable)
LOOP_SAMPLE = 20
URI_SAMPLE = 10
VERSIONS = ('v1', 'v2')
# Per API version: the list and set routes of a user's metadata, the list body, and whether x-zitadel-orgid is sent.
ROUTES = {
    'v1': ('/management/v1/users/%s/metadata/_search', '/management/v1/users/%s/metadata/_bulk', {'query': {'offset': '0', 'limit': 1000}}, True),
    'v2': ('/v2/users/%s/metadata/search', '/v2/users/%s/metadata', {'pagination': {'offset': '0', 'limit': 1000, 'asc': True}}, False),
}


def user_id(index):
    return '5000000001%08d' % index


def declared(users, keys, changed=False):
    """{user_id: {key: value}}: what the server holds (changed=False) or every value different (changed=True)."""
    suffix = '-new' if changed else ''
    return {user_id(u): {'key-%02d' % k: 'value-%d-%d%s' % (u, k, suffix) for k in range(keys)} for u in range(users)}


def state(users, keys):
    return {'settings': {'token_lifetime': 43199},
            'orgs': [{'id': ORG, 'name': 'bench',
                      'users': [{'id': uid, 'username': 'user%d' % index, 'metadata': metadata}
                                for index, (uid, metadata) in enumerate(declared(users, keys).items())],
                      'service_accounts': [{'id': '500000000000000900', 'username': 'ansible', 'pats': [TOKEN],
                                            'permissions': ['user.read', 'user.write', 'org.read', 'org.write']}]}]}


class Bench:
    """The server, its request log, and ways to run playbooks and modules against it."""

    def __init__(self, server, workdir):
        self.server = server
        self.workdir = workdir
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(('ZITADEL_', 'ANSIBLE_'))}
        self.env.update(ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.build', 'collections'), ANSIBLE_PYTHON_INTERPRETER=sys.executable,
                        ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false', ANSIBLE_NOCOLOR='1',
                        ZITADEL_API_URL=server.url, ZITADEL_TOKEN=TOKEN, ZITADEL_ORG_ID=ORG)

    def reseed(self, users, keys):
        requests.post(self.server.url + '/_control/seed', json=state(users, keys), timeout=600).raise_for_status()

    def clear_log(self):
        requests.delete(self.server.url + '/_control/requests', timeout=10).raise_for_status()

    def log(self):
        return requests.get(self.server.url + '/_control/requests', timeout=60).json()

    def task_seconds(self, task, check_mode, variables=None, version='v2'):
        """Run one task in a playbook whose variables come from a file, as a platform team keeps them; the seconds the
        task took (timestamps around it) and the request counts."""
        result = os.path.join(self.workdir, 'timing.json')
        vars_file = os.path.join(self.workdir, 'vars.json')
        with open(vars_file, 'w', encoding='utf-8') as handle:
            json.dump(variables or {}, handle)
        playbook = [{'hosts': 'localhost', 'gather_facts': False, 'vars_files': [vars_file], 'tasks': [
            {'ansible.builtin.set_fact': {'started': "{{ now(fmt='%s.%f') }}"}},
            dict(task, check_mode=check_mode),
            {'ansible.builtin.copy': {'dest': result, 'content': "{{ {'seconds': now(fmt='%s.%f') | float - started | float} | to_json }}"}},
        ]}]
        path = os.path.join(self.workdir, 'playbook.yml')
        with open(path, 'w', encoding='utf-8') as handle:
            yaml.safe_dump(playbook, handle)
        self.clear_log()
        run = subprocess.run([os.path.join(ANSIBLE_BIN, 'ansible-playbook'), '-i', 'localhost,', '-c', 'local', path],
                             env=dict(self.env, ZITADEL_API_VERSION=version), capture_output=True, text=True, check=False)
        if run.returncode:
            raise SystemExit('playbook failed:\n' + run.stdout[-3000:] + run.stderr[-3000:])
        with open(result, encoding='utf-8') as handle:
            seconds = json.load(handle)['seconds']
        return seconds, self.log()

    def module_peak_rss(self, module, args):
        """Run a module as its own process (as Ansible does) and return its maximum resident set size in MiB and its seconds."""
        path = os.path.join(self.workdir, 'args.json')
        with open(path, 'w', encoding='utf-8') as handle:
            json.dump({'ANSIBLE_MODULE_ARGS': args}, handle)
        env = dict(self.env, PYTHONPATH=os.path.join(ROOT, '.build', 'collections'))
        started = time.perf_counter()
        with tempfile.TemporaryFile() as out:
            process = subprocess.Popen([sys.executable, '-m', 'ansible_collections.community.zitadel.plugins.modules.' + module, path],
                                       env=env, stdout=out, stderr=subprocess.STDOUT)
            _pid, status, usage = os.wait4(process.pid, 0)
            seconds = time.perf_counter() - started
            out.seek(0)
            output = out.read().decode()
        process.returncode = os.waitstatus_to_exitcode(status)
        result = json.loads(output[output.index('{'):])
        if result.get('failed'):
            raise SystemExit('module failed: ' + result.get('msg', output)[:2000])
        return usage.ru_maxrss / 1024, seconds, result


def raw_floor(url, users, concurrency, version, write=None):
    """The same list requests (and with `write`, a set per user) over one API version from one requests.Session with
    `concurrency` workers, in a process of its own like the module's (the server shares this one's interpreter)."""
    job = json.dumps({'url': url, 'users': users, 'concurrency': concurrency, 'version': version, 'write': write})
    run = subprocess.run([sys.executable, os.path.abspath(__file__), '--raw-floor'], input=job, capture_output=True, text=True, check=True)
    return float(run.stdout)


def _raw_floor_process(job):
    url, concurrency, write = job['url'], job['concurrency'], job['write']
    list_path, set_path, list_body, org_header = ROUTES[job['version']]
    session = requests.Session()
    session.mount('http://', requests.adapters.HTTPAdapter(pool_maxsize=concurrency))
    headers = {'Authorization': 'Bearer ' + TOKEN}
    if org_header:
        headers['x-zitadel-orgid'] = ORG

    def one(uid):
        listed = session.post(url + list_path % uid, json=list_body, headers=headers, timeout=60)
        listed.raise_for_status()
        listed.json()
        if write:
            items = [{'key': k, 'value': base64.b64encode(v.encode()).decode()} for k, v in write[uid].items()]
            session.post(url + set_path % uid, json={'metadata': items}, headers=headers, timeout=60).raise_for_status()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, job['users']))
    print(time.perf_counter() - started)


def bulk_task(users, concurrency):
    """One task for every user, and the variables it reads them from."""
    task = {'community.zitadel.user_metadata_bulk': {'users': '{{ declared_users }}', 'concurrency': concurrency}}
    return task, {'declared_users': [{'user_id': uid, 'metadata': metadata} for uid, metadata in users.items()]}


def counts(log):
    return ', '.join('%s %d' % item for item in sorted(log['counts'].items()) if item[1])


def row(label, seconds, requests_text, note=''):
    print('%-52s %9.2f  %-44s %s' % (label, seconds, requests_text, note))


def many_users(bench, args):
    users, keys, concurrency = args.users, args.keys_per_user, args.concurrency
    print('\n== %d users x %d keys: check-mode audit (in sync), concurrency %d ==' % (users, keys, concurrency))
    print('%-52s %9s  %-44s %s' % ('way', 'seconds', 'requests', 'note'))
    bench.reseed(users, keys)
    in_sync = declared(users, keys)
    uids = list(in_sync)

    tasks = {}
    for version in VERSIONS:
        floor = raw_floor(bench.server.url, uids, concurrency, version)
        row('%s raw floor: requests.Session, %d workers' % (version, concurrency), floor, 'list %d' % users)
        one_task, variables = bulk_task(in_sync, concurrency)
        task, log = bench.task_seconds(one_task, check_mode=True, variables=variables, version=version)
        row('%s one task: user_metadata_bulk users=%d' % (version, users), task, counts(log), 'max in flight %d' % log['max_in_flight'])
        tasks[version] = (task, floor)
    task = tasks['v2'][0]

    sample = uids[:LOOP_SAMPLE]
    loop_task = {'community.zitadel.user_metadata_bulk': {'user_id': '{{ item.user_id }}', 'metadata': '{{ item.metadata }}'},
                 'loop': '{{ declared_users }}'}
    looped, log = bench.task_seconds(loop_task, check_mode=True,
                                     variables={'declared_users': [{'user_id': uid, 'metadata': in_sync[uid]} for uid in sample]})
    looped_all = looped * users / len(sample)
    row('v2 loop of user_metadata_bulk (%d users, extrapolated)' % len(sample), looped_all, counts(log) + ' for the sample',
        'measured %.2f s' % looped)

    sample = uids[:URI_SAMPLE]
    uri_task = {'ansible.builtin.uri': {
        'url': bench.server.url + '/management/v1/users/{{ item.0 }}/metadata/{{ item.1 }}',
        'headers': {'Authorization': 'Bearer ' + TOKEN, 'x-zitadel-orgid': ORG}},
        'loop': '{{ user_keys }}'}
    uri, log = bench.task_seconds(uri_task, check_mode=False, variables={'user_keys': [[uid, key] for uid in sample for key in in_sync[uid]]})
    uri_all = uri * users / len(sample)
    row('ansible.builtin.uri loop, one GET per key (%d users, extrapolated)' % len(sample), uri_all,
        counts(log) + ' for the sample', 'measured %.2f s' % uri)

    print('ratios: one task / raw floor = %s (target <= 2); uri loop / one task (v2) = %.0f (target >= 300); '
          'bulk loop / one task (v2) = %.0f; v2 one task / v1 one task = %.2f'
          % (', '.join('%.2f (%s)' % (tasks[v][0] / tasks[v][1], v) for v in VERSIONS), uri_all / task, looped_all / task,
             tasks['v2'][0] / tasks['v1'][0]))

    print('\n== %d users x %d keys: every value changed, one task, concurrency %d ==' % (users, keys, concurrency))
    changed = declared(users, keys, changed=True)
    ratios = []
    for version in VERSIONS:
        bench.reseed(users, keys)
        floor = raw_floor(bench.server.url, uids, concurrency, version, write=changed)
        row('%s raw floor: list + set per user' % version, floor, 'list %d, set %d' % (users, users))
        bench.reseed(users, keys)
        one_task, variables = bulk_task(changed, concurrency)
        task, log = bench.task_seconds(one_task, check_mode=False, variables=variables, version=version)
        row('%s one task: user_metadata_bulk users=%d' % (version, users), task, counts(log), 'max in flight %d' % log['max_in_flight'])
        ratios.append('%.2f (%s)' % (task / floor, version))
    print('ratio: one task / raw floor = %s (target <= 2)' % ', '.join(ratios))


def memory(bench, args):
    keys = args.keys_per_user
    print('\n== peak memory of the module process: check-mode audit of N users x %d keys ==' % keys)
    print('%-12s %12s %12s %10s' % ('users', 'peak MiB', 'KiB per user', 'seconds'))
    baseline = None
    for users in args.memory_users:
        bench.reseed(users, keys)
        module_args = {'users': [{'user_id': uid, 'metadata': metadata} for uid, metadata in declared(users, keys).items()],
                       'concurrency': args.concurrency, '_ansible_check_mode': True, 'api_url': bench.server.url,
                       'token': TOKEN, 'org_id': ORG, 'api_version': 'v2'}
        peak, seconds, result = bench.module_peak_rss('user_metadata_bulk', module_args)
        assert result['summary']['targets'] == users and result['summary']['unchanged'] == users, result['summary']
        if baseline is None:
            baseline = (users, peak)
            per_user = '-'
        else:
            per_user = '%.1f' % ((peak - baseline[1]) * 1024 / (users - baseline[0]))
        print('%-12d %12.1f %12s %10.2f' % (users, peak, per_user, seconds))
    print('KiB per user: the growth over the first row, divided by the added users (constant when memory is linear)')


def one_user(bench, args):
    count = args.bulk_keys
    print('\n== one user, %d keys: the reconcile engine without Ansible ==' % count)
    codec = Codec('text')
    desired = {'key-%06d' % i: 'value-%d' % i for i in range(count)}
    changed_one = dict(desired, **{'key-000001': 'changed'})
    runs = [('%d keys added' % count, desired, False, False),
            ('%d keys in sync' % count, desired, False, False),
            ('%d keys in sync, check mode' % count, desired, True, False),
            ('1 of %d changed, with purge' % count, changed_one, False, True)]
    print('%-52s %9s  %s' % ('run', 'seconds', 'requests'))
    for version in VERSIONS:
        bench.reseed(1, 0)
        api = metadata_api({'api_url': bench.server.url, 'token': TOKEN, 'validate_certs': True, 'ca_path': None, 'timeout': 30,
                            'retries': 3, 'http_agent': 'benchmark', 'api_version': version}.get)
        for label, metadata, check_mode, purge in runs:
            bench.clear_log()
            owner = User(user_id=user_id(0), org_id=ORG)
            job = declare(owner=owner, codec=codec, state='present', metadata=metadata, purge=purge)
            started = time.perf_counter()
            reconcile(api=api, jobs=[job], codec=codec, check_mode=check_mode, masking=Masking(), purge=purge)
            row('%s %s' % (version, label), time.perf_counter() - started, counts(bench.log()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--users', type=int, default=1000)
    parser.add_argument('--keys-per-user', type=int, default=10)
    parser.add_argument('--concurrency', type=int, default=8)
    parser.add_argument('--bulk-keys', type=int, default=5000)
    parser.add_argument('--memory-users', type=lambda text: [int(n) for n in text.split(',')], default=[1000, 3000, 10000])
    parser.add_argument('--raw-floor', action='store_true', help=argparse.SUPPRESS)  # internal: one raw floor run, job on stdin
    args = parser.parse_args()
    if args.raw_floor:
        _raw_floor_process(json.load(sys.stdin))
        return
    with tempfile.TemporaryDirectory() as workdir, ZitadelServer(state=state(1, 0), port=0) as server:
        bench = Bench(server, workdir)
        many_users(bench, args)
        memory(bench, args)
        one_user(bench, args)


if __name__ == '__main__':
    main()
