# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

from ansible_collections.community.zitadel.plugins.module_utils._errors import (
    PartialApplyError,
    ZitadelApiError,
    ZitadelConfigError,
    ZitadelError,
)
from ansible_collections.community.zitadel.plugins.module_utils._owners import User
from ansible_collections.community.zitadel.plugins.module_utils._protocol import (
    ENTRY_OVERHEAD,
    MAX_MESSAGE_BYTES,
    REQUEST_BUDGET,
    PartialWrite,
    Protocol,
    Target,
    chunk_by_size,
    decode_value,
    describe_keys,
    encode_value,
    key_size,
    smaller_page,
)


def test_budget_leaves_room_under_the_grpc_limit():
    assert MAX_MESSAGE_BYTES == 4 * 1024 * 1024 and 0 < REQUEST_BUDGET < MAX_MESSAGE_BYTES


@pytest.mark.parametrize('keys, text', [
    (['a'], "key 'a'"),
    (['b', 'a'], "keys 'a', 'b'"),
    (['f', 'e', 'd', 'c', 'b', 'a'], "keys 'a', 'b', 'c', 'd', 'e' and 1 more"),
    (['k%d' % i for i in range(12)], "keys 'k0', 'k1', 'k10', 'k11', 'k2' and 7 more"),
])
def test_describe_keys(keys, text):
    assert describe_keys(keys) == text


def test_chunks_stay_within_the_budget_and_keep_the_order():
    items = list(range(10))
    chunks = chunk_by_size(items, lambda item: 100 - ENTRY_OVERHEAD, budget=300)
    assert chunks == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]


def test_an_item_larger_than_the_budget_gets_a_chunk_of_its_own():
    assert chunk_by_size(['a', 'huge', 'b'], lambda item: 1000 if item == 'huge' else 1, budget=100) == [['a'], ['huge'], ['b']]


def test_no_items_no_chunks():
    assert chunk_by_size([], len) == []


def test_default_budget():
    assert len(chunk_by_size([b'x' * 500000] * 9, len)) == 2
    assert len(chunk_by_size([b'x' * 500000] * 8, len)) == 1


def test_key_size_counts_utf8_bytes():
    assert key_size('ü') == 2 and key_size('a') == 1


def test_values_round_trip():
    assert encode_value(b'\xff\x00') == '/wA='
    assert decode_value('/wA=') == b'\xff\x00'
    assert decode_value('_wA') == b'\xff\x00', 'URL-safe and unpadded'
    assert decode_value(' /wA= ') == b'\xff\x00'
    assert decode_value(None) == b'' and decode_value('') == b''


@pytest.mark.parametrize('limit, smaller', [(1000, 500), (3, 1), (1, 1), (0, 50), (None, 50)])
def test_smaller_page(limit, smaller):
    assert smaller_page(limit, 100) == smaller


def test_partial_write_wraps_a_later_failure():
    error = ZitadelApiError(503, 'POST', '/x')
    with pytest.raises(PartialApplyError) as info:
        with PartialWrite('set') as written:
            written.extend(['a', 'b'])
            raise error
    assert info.value.cause is error and info.value.written == "set keys 'a', 'b'"


def test_partial_write_passes_a_first_failure_and_other_exceptions():
    error = ZitadelApiError(503, 'POST', '/x')
    with pytest.raises(ZitadelApiError):
        with PartialWrite('set'):
            raise error
    with pytest.raises(ValueError):
        with PartialWrite('set') as written:
            written.append('a')
            raise ValueError('bug')


def test_partial_write_without_failure():
    with PartialWrite('removed') as written:
        written.append('a')
    assert written == ['a']


class RecordingProtocol(Protocol):
    """Protocol's generic removal over keys in memory; a removal of a missing key fails as ZITADEL's does."""

    def __init__(self, entries, stale_list=False):
        super().__init__(client=None)
        self.entries = set(entries)
        self.stale = set(entries) if stale_list else None
        self.calls = []

    def list(self, owner, keys=None, prefix=None):
        self.calls.append(('list',))
        return {key: b'v' for key in (self.stale if self.stale is not None else self.entries)}

    def _remove(self, owner, keys):
        self.calls.append(('remove', sorted(keys)))
        if not set(keys) <= self.entries:
            raise ZitadelApiError(404, 'DELETE', '/x', code=5, error_id='META-2nnds' if len(keys) > 1 else 'META-ncnw3')
        self.entries -= set(keys)


def test_generic_remove_tolerates_missing_keys():
    protocol = RecordingProtocol({'a', 'c'})
    protocol.remove(User('7'), ['a', 'b', 'c'])
    assert protocol.entries == set()
    assert protocol.calls == [('remove', ['a', 'b', 'c']), ('list',), ('remove', ['a', 'c'])]


def test_generic_remove_one_by_one_when_the_list_lags():
    protocol = RecordingProtocol({'a'}, stale_list=True)
    protocol.stale = {'a', 'b'}
    protocol.remove(User('7'), ['a', 'b'])
    assert protocol.entries == set()
    assert protocol.calls == [('remove', ['a', 'b']), ('list',), ('remove', ['a', 'b']), ('remove', ['a']), ('remove', ['b'])]


def test_generic_remove_of_one_missing_key_sends_one_request():
    protocol = RecordingProtocol(set())
    protocol.remove(User('7'), ['a'])
    assert protocol.calls == [('remove', ['a'])]


def test_generic_remove_raises_other_errors():
    class Failing(RecordingProtocol):
        def _remove(self, owner, keys):
            raise ZitadelApiError(403, 'DELETE', '/x', code=7, error_id='AUTH-5mWD2')

    with pytest.raises(ZitadelApiError):
        Failing({'a'}).remove(User('7'), ['a', 'b'])


def test_the_base_leaves_list_and_remove_to_the_protocols():
    protocol = Protocol(client=None)
    with pytest.raises(NotImplementedError):
        protocol.list(User('7'))
    with pytest.raises(NotImplementedError):
        protocol.remove(User('7'), ['a'])


def test_call_adds_the_owner_and_permission_to_api_errors():
    class Client:
        def request(self, method, path, body=None, org_id=None, params=None):
            self.seen = (method, path, body, org_id, params)  # pylint: disable=attribute-defined-outside-init
            raise ZitadelApiError(403, method, path, code=7, error_id='AUTH-5mWD2')

    client = Client()
    with pytest.raises(ZitadelApiError) as info:
        Protocol(client)._call(User('7', org_id='1'), 'do it', 'user.write', 'GET', '/p', params={'a': '1'})  # pylint: disable=protected-access
    assert client.seen == ('GET', '/p', None, None, {'a': '1'})
    assert str(info.value).startswith('Could not do it on user 7 in organisation 1: the credentials lack permission user.write')


def test_call_passes_other_errors_unchanged():
    class Client:
        def request(self, *args, **kwargs):
            raise ZitadelConfigError('bad header')

    with pytest.raises(ZitadelConfigError, match='^bad header$'):
        Protocol(Client())._call(User('7'), 'do it', 'user.write', 'GET', '/p')  # pylint: disable=protected-access


def test_target_forwards_to_the_protocol():
    calls = []

    class Recording(Protocol):
        def list(self, owner, keys=None, prefix=None):
            calls.append(('list', owner, keys, prefix))
            return {}

        def set(self, owner, entries):
            calls.append(('set', owner, entries))

        def remove(self, owner, keys):
            calls.append(('remove', owner, keys))

    owner = User('7')
    target = Recording(None).target(owner)
    assert isinstance(target, Target) and target.owner is owner
    target.list(keys=['a'])
    target.list(prefix='p')
    target.set({'a': b'1'})
    target.remove(['a'])
    assert calls == [('list', owner, ['a'], None), ('list', owner, None, 'p'), ('set', owner, {'a': b'1'}), ('remove', owner, ['a'])]


def test_partial_apply_error_is_a_zitadel_error():
    assert issubclass(PartialApplyError, ZitadelError)
