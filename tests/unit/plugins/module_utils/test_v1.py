# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import base64

import pytest

from ansible_collections.community.zitadel.plugins.module_utils._errors import PartialApplyError, ZitadelApiError, ZitadelConfigError
from ansible_collections.community.zitadel.plugins.module_utils._owners import Organisation, User
from ansible_collections.community.zitadel.plugins.module_utils._protocol import MAX_MESSAGE_BYTES, REQUEST_BUDGET, Target
from ansible_collections.community.zitadel.plugins.module_utils._v1 import USERS_PATH, V1Metadata

USER = '/management/v1/users/7/metadata'
ORG = '/management/v1/metadata'
SIZE_LIMIT = ZitadelApiError(429, 'POST', '/x', code=8, server_message='grpc: received message larger than max (5000000 vs. 4194304)')
LIMIT_EXCEEDED = ZitadelApiError(400, 'POST', '/x', code=3, error_id='QUERY-4M0fs', server_message='Limit exceeded (QUERY-4M0fs)')


def b64(data):
    return base64.b64encode(data).decode()


def page(entries, total=None):
    """A v1 list answer holding entries ({key: bytes})."""
    items = [{'key': k, 'value': b64(v)} for k, v in entries.items()]
    return {'details': {'totalResult': str(len(items) if total is None else total)}, 'result': items}


def alice(org_id='1'):
    return User('7', org_id=org_id)


class FakeClient:
    """Answers request() from a list of results (dicts, errors, or functions of the request) and records the calls."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    def request(self, method, path, body=None, org_id=None, params=None):  # pylint: disable=unused-argument
        self.calls.append((method, path, body, org_id))
        answer = self.answers.pop(0)
        if callable(answer):
            answer = answer(method, path, body, org_id)
        if isinstance(answer, Exception):
            raise answer
        return answer


class MetadataServer:
    """One user's metadata behind the v1 routes, with ZITADEL's answers to missing keys; fail[n] is raised by request n."""

    def __init__(self, entries=None):
        self.entries = dict(entries or {})
        self.calls = []
        self.fail = {}

    def request(self, method, path, body=None, org_id=None, params=None):  # pylint: disable=unused-argument
        self.calls.append((method, path, body, org_id))
        if len(self.calls) - 1 in self.fail:
            raise self.fail[len(self.calls) - 1]
        tail = path[len(USER) + 1:]
        if tail == '_search':
            items = sorted(self.entries.items())
            offset, limit = int(body['query']['offset']), body['query']['limit'] or 100
            return page(dict(items[offset:offset + limit]), total=len(items))
        if tail == '_bulk' and method == 'POST':
            self.entries.update({item['key']: base64.b64decode(item['value']) for item in body['metadata']})
        elif tail == '_bulk':
            if not set(body['keys']) <= set(self.entries):
                raise ZitadelApiError(404, method, path, code=5, error_id='META-2nnds')
            for key in body['keys']:
                del self.entries[key]
        elif method == 'POST':
            self.entries[tail] = base64.b64decode(body['value'])
        elif tail not in self.entries:
            raise ZitadelApiError(404, method, path, code=5, error_id='META-ncnw3')
        else:
            del self.entries[tail]
        return {}


class UserDirectory:
    """ListUsers of a few organisations: (user_id, org_id, login names); answers loginNameQuery, inUserIdsQuery, orQuery."""

    def __init__(self, users):
        self.users = users
        self.calls = []

    def request(self, method, path, body=None, org_id=None, params=None):  # pylint: disable=unused-argument
        assert (method, path) == ('POST', USERS_PATH)
        self.calls.append((org_id, body))
        found = [{'id': user_id, 'loginNames': names, 'preferredLoginName': names[0], 'details': {'resourceOwner': org}}
                 for user_id, org, names in self.users if org == (org_id or 'own') and all(self.match(user_id, names, q) for q in body['queries'])]
        offset, limit = int(body['query']['offset']), body['query']['limit']
        return {'details': {'totalResult': str(len(found))}, 'result': found[offset:offset + limit]}

    def match(self, user_id, names, query):
        if 'orQuery' in query:
            return any(self.match(user_id, names, sub) for sub in query['orQuery']['queries'])
        if 'inUserIdsQuery' in query:
            return user_id in query['inUserIdsQuery']['userIds']
        assert query['loginNameQuery']['method'] == 'TEXT_QUERY_METHOD_EQUALS_IGNORE_CASE'
        return query['loginNameQuery']['loginName'].lower() in [name.lower() for name in names]


def not_found(error_id, method='DELETE', path='/x'):
    return ZitadelApiError(404, method, path, code=5, error_id=error_id)


# list

def test_list_one_key_uses_an_exact_key_query():
    client = FakeClient(page({'a b': b'v', 'a bc': b'w'}))
    assert V1Metadata(client).list(alice(), keys=['a b']) == {'a b': b'v'}
    assert client.calls == [('POST', USER + '/_search', {'queries': [{'keyQuery': {'key': 'a b', 'method': 'TEXT_QUERY_METHOD_EQUALS'}}],
                                                         'query': {'offset': '0', 'limit': 1000}}, '1')]


def test_list_prefix_filters_what_the_server_matched_as_a_wildcard():
    client = FakeClient(page({'app_x': b'1', 'appXx': b'2', 'app%y': b'3'}))
    assert V1Metadata(client).list(alice(), prefix='app_') == {'app_x': b'1'}
    assert client.calls[0][2]['queries'] == [{'keyQuery': {'key': 'app_', 'method': 'TEXT_QUERY_METHOD_STARTS_WITH'}}]


def test_list_several_keys_lists_all_and_filters():
    client = FakeClient(page({'a': b'1', 'b': b'2', 'c': b'3'}))
    assert V1Metadata(client).list(alice(), keys=['a', 'c', 'missing']) == {'a': b'1', 'c': b'3'}
    assert client.calls[0][2]['queries'] == []


def test_list_paginates_by_1000():
    pages = [page({'k%d' % (i + start): b'v' for i in range(size)}, total=2500) for start, size in ((0, 1000), (1000, 1000), (2000, 500))]
    client = FakeClient(*pages)
    entries = V1Metadata(client).list(Organisation('1'))
    assert len(entries) == 2500
    assert [c[2]['query'] for c in client.calls] == [{'offset': str(o), 'limit': 1000} for o in (0, 1000, 2000)]
    assert all(c[1] == ORG + '/_search' and c[3] == '1' for c in client.calls)


def test_list_stops_at_an_empty_page():
    client = FakeClient(page({'a': b'1'}, total=5), {'details': {'totalResult': '5'}})
    assert V1Metadata(client).list(alice()) == {'a': b'1'} and len(client.calls) == 2


def test_empty_list_omits_result():
    assert V1Metadata(FakeClient({'details': {}})).list(alice()) == {}


def test_values_in_url_safe_or_unpadded_base64_are_read():
    client = FakeClient({'details': {'totalResult': '2'}, 'result': [{'key': 'a', 'value': '-_8'}, {'key': 'b'}]})
    assert V1Metadata(client).list(alice()) == {'a': b'\xfb\xff', 'b': b''}


# set and remove

def test_set_routes():
    client = FakeClient({}, {}, {})
    api = V1Metadata(client)
    api.set(alice(), {'team': b'x'})
    api.set(alice(), {'a/b': b'x'})
    api.set(alice(), {'a': b'1', 'b': b'2'})
    assert client.calls[0] == ('POST', USER + '/team', {'value': b64(b'x')}, '1')
    assert client.calls[1][:3] == ('POST', USER + '/_bulk', {'metadata': [{'key': 'a/b', 'value': b64(b'x')}]})
    assert client.calls[2][2] == {'metadata': [{'key': 'a', 'value': b64(b'1')}, {'key': 'b', 'value': b64(b'2')}]}


def test_keys_and_user_ids_are_escaped():
    client = FakeClient({}, {})
    api = V1Metadata(client)
    api.set(User('a b/c'), {'k ü': b'x'})
    api.remove(User('7'), ['k%'])
    assert client.calls[0][1] == '/management/v1/users/a%20b%2Fc/metadata/k%20%C3%BC'
    assert client.calls[1][:2] == ('DELETE', USER + '/k%25')


@pytest.mark.parametrize('key', ['a/b', '_search', '_bulk', '.', '..'])
def test_unaddressable_keys_go_through_the_bulk_routes(key):
    client = FakeClient({}, {})
    api = V1Metadata(client)
    api.set(alice(), {key: b'v'})
    api.remove(alice(), [key])
    assert client.calls == [('POST', USER + '/_bulk', {'metadata': [{'key': key, 'value': b64(b'v')}]}, '1'),
                            ('DELETE', USER + '/_bulk', {'keys': [key]}, '1')]


def test_org_routes_and_the_own_organisation():
    client = FakeClient({}, {}, page({}))
    api = V1Metadata(client)
    api.set(Organisation('5'), {'tier': b'gold'})
    api.remove(Organisation(), ['tier'])
    api.list(Organisation())
    sent = [c[:2] + (c[3],) for c in client.calls]
    assert sent == [('POST', ORG + '/tier', '5'), ('DELETE', ORG + '/tier', None), ('POST', ORG + '/_search', None)]


def test_target_binds_an_owner():
    client = FakeClient({}, page({'a': b'1'}), {})
    target = V1Metadata(client).target(alice())
    assert isinstance(target, Target) and target.owner.user_id == '7'
    target.set({'a': b'1'})
    assert target.list() == {'a': b'1'}
    target.remove(['a'])
    assert [c[:2] for c in client.calls] == [('POST', USER + '/a'), ('POST', USER + '/_search'), ('DELETE', USER + '/a')]


def test_remove_single_missing_key_is_success():
    client = FakeClient(not_found('META-ncnw3'))
    V1Metadata(client).remove(alice(), ['k'])
    assert [c[:2] for c in client.calls] == [('DELETE', USER + '/k')]


def test_bulk_remove_retries_with_the_keys_that_still_exist():
    client = FakeClient(not_found('META-2nnds'), page({'b': b'1'}), {})
    V1Metadata(client).remove(alice(), ['a', 'b'])
    assert client.calls[0][:3] == ('DELETE', USER + '/_bulk', {'keys': ['a', 'b']})
    assert client.calls[2][:3] == ('DELETE', USER + '/b', None)


def test_bulk_remove_of_keys_all_gone_lists_once():
    client = FakeClient(not_found('META-2nnds'), page({}))
    V1Metadata(client).remove(alice(), ['a', 'b'])
    assert len(client.calls) == 2


def test_bulk_remove_falls_back_to_single_keys_when_the_list_lags():
    stale = page({'a': b'1', 'b': b'1'})
    client = FakeClient(not_found('META-2nnds'), stale, not_found('META-2nnds'), not_found('META-ncnw3'), {})
    V1Metadata(client).remove(alice(), ['a', 'b'])
    assert [c[:2] for c in client.calls] == [('DELETE', USER + '/_bulk'), ('POST', USER + '/_search'),
                                             ('DELETE', USER + '/_bulk'), ('DELETE', USER + '/a'), ('DELETE', USER + '/b')]


def test_remove_fails_on_other_errors():
    with pytest.raises(ZitadelApiError) as info:
        V1Metadata(FakeClient(ZitadelApiError(403, 'DELETE', '/x', code=7, error_id='AUTH-5mWD2'))).remove(alice(), ['a', 'b'])
    assert info.value.status == 403


def test_a_routing_404_is_not_a_missing_key():
    with pytest.raises(ZitadelApiError, match='no such endpoint'):
        V1Metadata(FakeClient(not_found(None))).remove(alice(), ['a'])


def test_errors_carry_the_owner_and_permission():
    error = ZitadelApiError(403, 'POST', USER + '/_bulk', code=7, error_id='AUTH-5mWD2')
    with pytest.raises(ZitadelApiError) as info:
        V1Metadata(FakeClient(error)).set(alice(), {'a': b'1', 'b': b'2'})
    assert str(info.value).startswith("Could not set metadata keys 'a', 'b' on user 7 in organisation 1: ")
    assert 'user.write' in str(info.value)
    with pytest.raises(ZitadelApiError, match="list metadata on the service account's own organisation: .*org.read in the service "
                                              "account's own organisation"):
        V1Metadata(FakeClient(ZitadelApiError(403, 'POST', '/x', code=7, error_id='AUTH-5mWD2'))).list(Organisation())


def test_org_id_is_checked_before_any_request():
    with pytest.raises(ZitadelConfigError, match='org_id holds'):
        User('7', org_id='1\n2')


# writes within the message size limit

def test_nine_values_of_500000_bytes_take_two_bulk_requests():
    server = MetadataServer()
    values = {'k%d' % i: bytes([65 + i]) * 500000 for i in range(9)}
    V1Metadata(server).set(alice(), values)
    assert [(c[0], c[1]) for c in server.calls] == [('POST', USER + '/_bulk')] * 2
    chunks = [[item['key'] for item in c[2]['metadata']] for c in server.calls]
    assert chunks == [['k%d' % i for i in range(8)], ['k8']]
    for call in server.calls:
        size = sum(len(base64.b64decode(item['value'])) + len(item['key']) for item in call[2]['metadata'])
        assert size <= REQUEST_BUDGET < MAX_MESSAGE_BYTES
    assert server.entries == values


def test_a_failing_later_chunk_reports_what_was_written():
    server = MetadataServer()
    server.fail[1] = ZitadelApiError(503, 'POST', USER + '/_bulk', code=14)
    values = {'k%d' % i: b'x' * 500000 for i in range(9)}
    with pytest.raises(PartialApplyError) as info:
        V1Metadata(server).set(alice(), values)
    assert info.value.written == "set keys 'k0', 'k1', 'k2', 'k3', 'k4' and 3 more"
    assert info.value.cause.status == 503 and info.value.facts()['status'] == 503
    assert "Could not set metadata key 'k8' on user 7 in organisation 1" in str(info.value)
    assert 'Run the task again to converge' in str(info.value)
    assert sorted(server.entries) == ['k%d' % i for i in range(8)]


def test_a_failing_first_chunk_is_the_error_itself():
    server = MetadataServer()
    server.fail[0] = ZitadelApiError(503, 'POST', USER + '/_bulk')
    with pytest.raises(ZitadelApiError):
        V1Metadata(server).set(alice(), {'k%d' % i: b'x' * 500000 for i in range(9)})


def many_long_keys(count=20000):
    return ['%05d' % i + 'k' * 195 for i in range(count)]


def test_a_removal_of_many_long_keys_is_split():
    keys = many_long_keys()
    server = MetadataServer({key: b'v' for key in keys})
    V1Metadata(server).remove(alice(), keys)
    assert [c[:2] for c in server.calls] == [('DELETE', USER + '/_bulk')] * 2
    assert sum(len(c[2]['keys']) for c in server.calls) == 20000 and server.entries == {}


def test_a_failing_later_removal_chunk_reports_what_was_removed():
    keys = many_long_keys()
    server = MetadataServer({key: b'v' for key in keys})
    server.fail[1] = ZitadelApiError(503, 'DELETE', USER + '/_bulk')
    with pytest.raises(PartialApplyError) as info:
        V1Metadata(server).remove(alice(), keys)
    assert info.value.written.startswith('removed keys ') and info.value.cause.status == 503


def test_a_key_already_gone_in_a_later_removal_chunk_counts_as_removed():
    """remove() tolerates keys that are already gone, however many requests the removal takes."""
    keys = many_long_keys()
    server = MetadataServer({key: b'v' for key in keys[:-1]})  # the last key, in the second chunk, is gone already
    V1Metadata(server).remove(alice(), keys)
    assert server.entries == {}


# users

def test_find_users_maps_login_names_to_ids_and_organisations():
    directory = UserDirectory([('10', 'own', ['alice@acme.example', 'alice']), ('11', 'own', ['Bob']), ('20', '2', ['carol']),
                               ('21', '2', ['dave'])])
    alice_, bob, carol, dave, nobody = (User(login_name='ALICE'), User(login_name='bob'), User(login_name='carol', org_id='2'),
                                        User(login_name='dave', org_id='2'), User(login_name='nobody'))
    missing = V1Metadata(directory).find_users([alice_, bob, carol, nobody, dave])
    assert missing == [nobody] and nobody.user_id is None
    assert [(u.user_id, u.org_id) for u in (alice_, bob, carol, dave)] == [('10', 'own'), ('11', 'own'), ('20', '2'), ('21', '2')]
    assert [org for org, _body in directory.calls] == [None, '2'], 'one request per organisation'
    assert directory.calls[0][1]['queries'] == [{'orQuery': {'queries': [
        {'loginNameQuery': {'loginName': name, 'method': 'TEXT_QUERY_METHOD_EQUALS_IGNORE_CASE'}} for name in ('alice', 'bob', 'nobody')]}}]


def test_find_users_keeps_a_given_organisation():
    directory = UserDirectory([('10', '2', ['alice'])])
    owner = User(login_name='alice', org_id='2')
    assert V1Metadata(directory).find_users([owner]) == []
    assert (owner.user_id, owner.org_id, owner.org_given) == ('10', '2', True)
    assert directory.calls[0][1]['queries'] == [{'loginNameQuery': {'loginName': 'alice', 'method': 'TEXT_QUERY_METHOD_EQUALS_IGNORE_CASE'}}]


def test_find_users_matches_the_preferred_login_name():
    client = FakeClient({'details': {'totalResult': '1'},
                         'result': [{'id': '10', 'loginNames': [], 'preferredLoginName': 'Alice@Acme', 'details': {'resourceOwner': '3'}}]})
    owner = User(login_name='alice@acme')
    assert V1Metadata(client).find_users([owner]) == [] and (owner.user_id, owner.org_id) == ('10', '3')


def test_find_users_sends_one_request_per_organisation_and_1000_names():
    users = [User(login_name='u%d' % i, org_id='A') for i in range(2500)] + [User(login_name='b%d' % i, org_id='B') for i in range(2)]
    directory = UserDirectory([('id-u%d' % i, 'A', ['u%d' % i]) for i in range(0, 2500, 2)] + [('id-b1', 'B', ['b1'])])
    missing = V1Metadata(directory).find_users(users)
    assert [(org, len(body['queries'][0]['orQuery']['queries'])) for org, body in directory.calls] == \
        [('A', 1000), ('A', 1000), ('A', 500), ('B', 2)]
    assert all(body['query'] == {'offset': '0', 'limit': 1000} for _org, body in directory.calls)
    assert [u.login_name for u in missing] == ['u%d' % i for i in range(1, 2500, 2)] + ['b0']
    assert users[2].user_id == 'id-u2' and users[2501].user_id == 'id-b1'


def test_find_users_needs_user_read_in_the_organisation():
    error = ZitadelApiError(403, 'POST', USERS_PATH, code=7, error_id='AUTH-5mWD2')
    with pytest.raises(ZitadelApiError) as info:
        V1Metadata(FakeClient(error)).find_users([User(login_name='alice', org_id='5')])
    assert str(info.value).startswith('Could not find users by login name on organisation 5: the credentials lack permission user.read')


def test_missing_users_by_id_in_batches_per_organisation():
    users = [User('%d' % i, org_id='A') for i in range(1500)] + [User('x'), User('y')]
    directory = UserDirectory([('%d' % i, 'A', ['n%d' % i]) for i in range(1, 1500)] + [('y', 'own', ['y'])])
    missing = V1Metadata(directory).missing(users)
    assert [u.user_id for u in missing] == ['0', 'x']
    assert [(org, len(body['queries'][0]['inUserIdsQuery']['userIds'])) for org, body in directory.calls] == \
        [('A', 1000), ('A', 500), (None, 2)]
    assert directory.calls[2][1]['queries'] == [{'inUserIdsQuery': {'userIds': ['x', 'y']}}]


def test_no_users_no_request():
    client = FakeClient()
    assert V1Metadata(client).find_users([]) == [] and V1Metadata(client).missing([]) == [] and client.calls == []


# page size

def test_the_page_shrinks_when_an_answer_exceeds_the_message_size_limit():
    server = MetadataServer({'k%04d' % i: b'v' for i in range(700)})
    calls = []

    def too_large_at_1000(method, path, body, org_id):
        calls.append(body['query']['limit'])
        return SIZE_LIMIT if body['query']['limit'] > 500 else server.request(method, path, body, org_id)

    client = FakeClient(*[too_large_at_1000] * 3)
    api = V1Metadata(client)
    assert len(api.list(alice())) == 700
    assert calls == [1000, 500, 500] and api.page_size == 500
    assert [c[2]['query']['offset'] for c in client.calls] == ['0', '0', '500']
    client.answers = [page({})]
    api.list(Organisation())
    assert client.calls[-1][2]['query']['limit'] == 500, 'the smaller page holds for every later list'


def test_the_page_shrinks_down_to_one_then_fails():
    client = FakeClient(*[SIZE_LIMIT] * 10)
    api = V1Metadata(client)
    with pytest.raises(ZitadelApiError) as info:
        api.list(alice())
    assert info.value.is_message_too_large and 'message size limit' in str(info.value)
    assert [c[2]['query']['limit'] for c in client.calls] == [1000, 500, 250, 125, 62, 31, 15, 7, 3, 1]


def test_a_lower_server_limit_falls_back_to_the_servers_default():
    client = FakeClient(LIMIT_EXCEEDED, page({'a': b'1', 'b': b'2'}))
    api = V1Metadata(client)
    assert api.list(alice()) == {'a': b'1', 'b': b'2'}
    assert [c[2]['query']['limit'] for c in client.calls] == [1000, 0] and api.page_size == 0


def test_limit_exceeded_at_the_servers_default_fails():
    client = FakeClient(LIMIT_EXCEEDED, LIMIT_EXCEEDED)
    with pytest.raises(ZitadelApiError) as info:
        V1Metadata(client).list(alice())
    assert info.value.error_id == 'QUERY-4M0fs' and len(client.calls) == 2


def test_pages_of_the_servers_default_size_are_followed():
    server = MetadataServer({'k%03d' % i: b'v' for i in range(250)})
    client = FakeClient(LIMIT_EXCEEDED, *[server.request] * 3)
    assert len(V1Metadata(client).list(alice())) == 250
    assert [c[2]['query'] for c in client.calls[1:]] == [{'offset': str(o), 'limit': 0} for o in (0, 100, 200)]


def test_the_user_search_shrinks_its_page_too():
    directory = UserDirectory([('10', 'own', ['alice'])])
    client = FakeClient(SIZE_LIMIT, directory.request)
    owner = User(login_name='alice')
    api = V1Metadata(client)
    assert api.find_users([owner]) == [] and owner.user_id == '10' and api.page_size == 500
