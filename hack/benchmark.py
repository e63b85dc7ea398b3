#!/usr/bin/env python
# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Time and count the requests of bulk reconciles of many keys against the local server.

    hack/benchmark.py [--keys N]

Runs the collection's reconcile logic directly (no Ansible start-up), so the numbers show the cost
of the requests and the comparison.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, 'tests', 'server'), os.path.join(ROOT, '.build', 'collections')]
# pylint: disable=wrong-import-position
from ansible_collections.community.zitadel.plugins.module_utils._auth import TokenAuth  # noqa: E402
from ansible_collections.community.zitadel.plugins.module_utils._client import ZitadelClient  # noqa: E402
from ansible_collections.community.zitadel.plugins.module_utils._metadata_api import UserMetadata  # noqa: E402
from ansible_collections.community.zitadel.plugins.module_utils._reconcile import Codec, reconcile_keys  # noqa: E402
from zitadel_server import ZitadelServer  # noqa: E402

ORG, USER, TOKEN = '300000000000000001', '300000000000000101', 'demo-pat-0000-not-a-secret'


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--keys', type=int, default=5000)
    count = parser.parse_args().keys
    desired = {'key-%06d' % i: 'value-%d' % i for i in range(count)}
    changed_one = dict(desired, **{'key-000001': 'changed'})
    runs = [('%d keys added' % count, desired, False, False),
            ('%d keys in sync' % count, desired, False, False),
            ('%d keys in sync, check mode' % count, desired, True, False),
            ('1 of %d changed, with purge' % count, changed_one, False, True)]
    with ZitadelServer(state=os.path.join(ROOT, 'demo', 'state.yml')) as server:
        target = UserMetadata(ZitadelClient(server.url, TokenAuth(TOKEN)), USER, ORG)
        print('%-36s %-8s %8s  %s' % ('run', 'changed', 'seconds', 'requests'))
        for label, metadata, check_mode, purge in runs:
            requests.delete(server.url + '/_control/requests', timeout=10)
            started = time.perf_counter()
            result = reconcile_keys(target, Codec('text'), metadata, 'present', check_mode, purge=purge)
            seconds = time.perf_counter() - started
            counts = requests.get(server.url + '/_control/requests', timeout=10).json()['counts']
            print('%-36s %-8s %8.2f  %s' % (label, result['changed'], seconds, counts))


if __name__ == '__main__':
    main()
