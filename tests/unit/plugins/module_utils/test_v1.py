# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import base64

import pytest

from ansible_collections.community.zitadel.plugins.module_utils._errors import ZitadelApiError, ZitadelConfigError
from ansible_collections.community.zitadel.plugins.module_utils._metadata_api import OrgMetadata, UserMetadata

USER = '/management/v1/users/7/metadata'


def b64(data):
    return base64.b64encode(data).decode()


class FakeClient:
    """Answers request() from a list of results (dicts or errors) and records the calls."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    def request(self, method, path, body=None, org_id=None):
        self.calls.append((method, path, body, org_id))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def not_found(error_id, method='DELETE', path='/x'):
    return ZitadelApiError(404, method, path, code=5, error_id=error_id)


def test_get_uses_the_key_route_with_escaping():
    client = FakeClient({'metadata': {'key': 'a b', 'value': b64(b'v')}})
    assert UserMetadata(client, '7', '1').get('a b') == b'v'
    assert client.calls == [('GET', USER + '/a%20b', None, '1')]


def test_get_missing_key_is_none_but_a_routing_404_is_an_error():
    assert UserMetadata(FakeClient(not_found('QUERY-Rgh32', 'GET')), '7').get('k') is None
    with pytest.raises(ZitadelApiError, match='no such endpoint'):
        UserMetadata(FakeClient(not_found(None, 'GET')), '7').get('k')


@pytest.mark.parametrize('key', ['a/b', '_search', '_bulk'])
def test_unaddressable_keys_read_through_the_list_route(key):
    client = FakeClient({'details': {'totalResult': '1'}, 'result': [{'key': key, 'value': b64(b'v')}]})
    assert UserMetadata(client, '7').get(key) == b'v'
    method, path, body, _org = client.calls[0]
    assert (method, path) == ('POST', USER + '/_search')
    assert body['queries'] == [{'keyQuery': {'key': key, 'method': 'TEXT_QUERY_METHOD_EQUALS'}}]


def test_set_routes():
    client = FakeClient({}, {}, {})
    target = UserMetadata(client, '7')
    target.set({'team': b'x'})
    target.set({'a/b': b'x'})
    target.set({'a': b'1', 'b': b'2'})
    assert client.calls[0][:3] == ('POST', USER + '/team', {'value': b64(b'x')})
    assert client.calls[1][:3] == ('POST', USER + '/_bulk', {'metadata': [{'key': 'a/b', 'value': b64(b'x')}]})
    assert client.calls[2][2] == {'metadata': [{'key': 'a', 'value': b64(b'1')}, {'key': 'b', 'value': b64(b'2')}]}


def test_list_paginates_by_1000():
    pages = [{'details': {'totalResult': '2500'}, 'result': [{'key': 'k%d' % (i + start), 'value': b64(b'v')} for i in range(size)]}
             for start, size in ((0, 1000), (1000, 1000), (2000, 500))]
    client = FakeClient(*pages)
    entries = OrgMetadata(client, '1').list()
    assert len(entries) == 2500
    assert [c[2]['query'] for c in client.calls] == [{'offset': str(o), 'limit': 1000} for o in (0, 1000, 2000)]
    assert all(c[1] == '/management/v1/metadata/_search' for c in client.calls)


def test_empty_list_omits_result():
    assert UserMetadata(FakeClient({'details': {}}), '7').list() == {}


def test_remove_single_missing_key_is_success():
    client = FakeClient(not_found('META-ncnw3'))
    UserMetadata(client, '7').remove(['k'])
    assert [c[:2] for c in client.calls] == [('DELETE', USER + '/k')]


def test_bulk_remove_retries_with_the_keys_that_still_exist():
    listing = {'details': {'totalResult': '1'}, 'result': [{'key': 'b', 'value': b64(b'1')}]}
    client = FakeClient(not_found('META-2nnds'), listing, {})
    UserMetadata(client, '7').remove(['a', 'b'])
    assert client.calls[0][:3] == ('DELETE', USER + '/_bulk', {'keys': ['a', 'b']})
    assert client.calls[2][:3] == ('DELETE', USER + '/b', None)


def test_bulk_remove_falls_back_to_single_keys_when_the_list_lags():
    stale = {'details': {'totalResult': '2'}, 'result': [{'key': 'a', 'value': b64(b'1')}, {'key': 'b', 'value': b64(b'1')}]}
    client = FakeClient(not_found('META-2nnds'), stale, not_found('META-2nnds'), not_found('META-ncnw3'), {})
    UserMetadata(client, '7').remove(['a', 'b'])
    assert [c[:2] for c in client.calls] == [('DELETE', USER + '/_bulk'), ('POST', USER + '/_search'),
                                             ('DELETE', USER + '/_bulk'), ('DELETE', USER + '/a'), ('DELETE', USER + '/b')]


def test_remove_fails_on_other_errors():
    with pytest.raises(ZitadelApiError) as info:
        UserMetadata(FakeClient(ZitadelApiError(403, 'DELETE', '/x', code=7, error_id='AUTH-5mWD2')), '7').remove(['a', 'b'])
    assert info.value.status == 403


def test_errors_carry_the_target_and_permission():
    error = ZitadelApiError(403, 'POST', USER + '/_bulk', code=7, error_id='AUTH-5mWD2')
    with pytest.raises(ZitadelApiError) as info:
        UserMetadata(FakeClient(error), '7', '1').set({'a': b'1', 'b': b'2'})
    assert str(info.value).startswith("Could not set metadata keys 'a', 'b' on user 7 in organisation 1: ")
    assert 'user.write' in str(info.value)
    with pytest.raises(ZitadelApiError, match="org.read in the service account's own organisation"):
        OrgMetadata(FakeClient(ZitadelApiError(403, 'POST', '/x', code=7, error_id='AUTH-5mWD2'))).list()


def test_org_id_is_checked_before_any_request():
    client = FakeClient()
    with pytest.raises(ZitadelConfigError, match='org_id holds'):
        UserMetadata(client, '7', '1\n2')
    assert client.calls == []
