# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import threading
import time

import pytest

from ansible_collections.community.zitadel.plugins.module_utils._errors import ZitadelApiError, ZitadelError
from ansible_collections.community.zitadel.plugins.module_utils._runner import Outcome, run_all


@pytest.mark.parametrize('concurrency', [1, 3, 8, 32])
def test_outcomes_keep_the_order_of_the_items(concurrency):
    def work(item):
        time.sleep((10 - item) * 0.002)  # early items finish last
        return item * item

    outcomes = run_all(range(10), work, concurrency)
    assert [o.item for o in outcomes] == list(range(10))
    assert [o.result for o in outcomes] == [i * i for i in range(10)]
    assert all(o.error is None for o in outcomes)


@pytest.mark.parametrize('concurrency', [1, 4])
def test_a_failing_item_does_not_stop_the_others(concurrency):
    errors = {}

    def work(item):
        if item % 3 == 1:
            errors[item] = ZitadelApiError(503, 'POST', '/p/%d' % item)
            raise errors[item]
        return 'done %d' % item

    outcomes = run_all(range(7), work, concurrency)
    assert [o.item for o in outcomes] == list(range(7))
    for outcome in outcomes:
        if outcome.item % 3 == 1:
            assert outcome.error is errors[outcome.item] and outcome.result is None
        else:
            assert outcome.error is None and outcome.result == 'done %d' % outcome.item


def test_every_zitadel_error_is_captured():
    def work(item):
        raise ZitadelError('no %s' % item)

    outcomes = run_all(['a', 'b'], work, 2)
    assert [str(o.error) for o in outcomes] == ['no a', 'no b']


@pytest.mark.parametrize('concurrency', [1, 3])
def test_other_exceptions_are_bugs_and_propagate(concurrency):
    def work(item):
        if item == 2:
            raise ValueError('bug')
        return item

    with pytest.raises(ValueError, match='bug'):
        run_all(range(5), work, concurrency)


@pytest.mark.parametrize('concurrency', [2, 3, 5])
def test_at_most_concurrency_calls_run_at_once(concurrency):
    """Workers block until released; the peak of calls running at once must reach, and never exceed, concurrency."""
    lock = threading.Lock()
    state = {'running': 0, 'peak': 0, 'calls': 0}
    full = threading.Event()
    release = threading.Event()

    def work(item):
        with lock:
            state['running'] += 1
            state['calls'] += 1
            state['peak'] = max(state['peak'], state['running'])
            if state['running'] == concurrency:
                full.set()
        try:
            assert release.wait(10), 'never released'
        finally:
            with lock:
                state['running'] -= 1
        return item

    outcomes = []
    runner = threading.Thread(target=lambda: outcomes.extend(run_all(range(12), work, concurrency)))
    runner.start()
    try:
        assert full.wait(10), 'the pool never ran %d calls at once' % concurrency
        time.sleep(0.05)  # room for a call beyond the bound to start, if the pool allowed one
        with lock:
            assert state['running'] == concurrency and state['peak'] == concurrency
    finally:
        release.set()
        runner.join(10)
    assert not runner.is_alive()
    assert state['peak'] == concurrency and state['calls'] == 12
    assert [o.result for o in outcomes] == list(range(12))


def test_one_worker_runs_in_the_calling_thread():
    threads = set()
    run_all(range(3), lambda item: threads.add(threading.current_thread()), 1)
    assert threads == {threading.current_thread()}


def test_items_run_at_once_on_their_own_threads():
    threads = set()
    lock = threading.Lock()
    barrier = threading.Barrier(2, timeout=10)

    def work(item):
        barrier.wait()  # both items run at once, on two threads
        with lock:
            threads.add(threading.current_thread().name)
        return item

    assert [o.result for o in run_all([1, 2], work, 32)] == [1, 2]
    assert len(threads) == 2


def test_no_items():
    assert run_all([], lambda item: item, 8) == []
    assert run_all(iter([]), lambda item: item, 1) == []


def test_items_may_be_any_iterable():
    outcomes = run_all((c for c in 'abc'), str.upper, 2)
    assert [(o.item, o.result) for o in outcomes] == [('a', 'A'), ('b', 'B'), ('c', 'C')]


def test_outcome_defaults():
    outcome = Outcome('x')
    assert (outcome.item, outcome.result, outcome.error) == ('x', None, None)
