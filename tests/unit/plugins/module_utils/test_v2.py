# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import base64
import fnmatch
import json
import re
import threading
import time
from urllib.parse import unquote, urlencode

import pytest
import requests

from ansible_collections.community.zitadel.plugins.module_utils._errors import PartialApplyError, ZitadelApiError, ZitadelError
from ansible_collections.community.zitadel.plugins.module_utils._owners import Organisation, User
from ansible_collections.community.zitadel.plugins.module_utils._protocol import REQUEST_BUDGET
from ansible_collections.community.zitadel.plugins.module_utils._v2 import MY_ORG_PATH, ORGS_PATH, QUERY_BUDGET, USERS_PATH, V2Metadata

OWN = '1'  # the service account's organisation
V2_ROUTES = frozenset(('user_v2', 'org_v2', 'org_v2beta', 'users_v2', 'orgs_v2'))
USER_METADATA = re.compile(r'^/v2/users/(?P<id>[^/]+)/metadata(?P<search>/search)?$')
ORG_METADATA = re.compile(r'^/v2(?P<beta>beta)?/organizations/(?P<id>[^/]+)/metadata(?P<search>/search)?$')
V1_METADATA = re.compile(r'^/management/v1/(?:users/(?P<user>[^/]+)/)?metadata(?:/(?P<key>[^/]+))?$')
V1_USERS = '/management/v1/users/_search'
SIZE_LIMIT = {'code': 8, 'message': 'grpc: received message larger than max (5000000 vs. 4194304)'}


def b64(data):
    return base64.b64encode(data).decode()


def answer(status, body):
    """The error ZitadelClient raises for this HTTP answer."""
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode()  # pylint: disable=protected-access
    return response


def api_error(status, method, path, body):
    return ZitadelApiError.from_response(answer(status, body), method, path)


def zitadel_error(status, code, error_id, message, method='POST', path='/x'):
    """An error of a ZITADEL handler: the grpc-gateway body with the error id in its details."""
    return api_error(status, method, path, {'code': code, 'message': '%s (%s)' % (message, error_id),
                                            'details': [{'@type': 'type.googleapis.com/zitadel.v1.ErrorDetail', 'id': error_id,
                                                         'message': message}]})


def routing_error(method, path, status=404):
    """The gateway's answer for a route it does not have: no ZITADEL error id."""
    body = {404: {'code': 5, 'message': 'Not Found'}, 405: {'code': 12, 'message': 'Method Not Allowed'},
            501: {'code': 12, 'message': 'Method Not Allowed'}}[status]
    return api_error(status, method, path, body)


class FakeZitadel:
    """ZITADEL's v2 metadata, user and organisation searches and the v1 metadata routes, in memory, at the level of
    ZitadelClient.request, with the answers of a real server (shared/zitadel-api-v2-and-users.md):

    * routes: the v2 route families the server has ('user_v2', 'org_v2', 'org_v2beta', 'users_v2', 'orgs_v2'); the
      others answer the gateway's routing error (routing_status, without error id). v1 is always there.
    * users: user ID -> (org ID, [login names]); orgs: org ID -> name; hidden: IDs of users and organisations the
      credentials may not read (left out of searches; a user's metadata list counts its entries but shows none).
    * v2 lists: limit 0 is 100, above max_limit QUERY-4M0fs; an answer of more than max_items entries is the gateway's
      size 429. v2 searches of users and organisations: limit 0 is all.
    * faults: (method, path glob, error) raised by every matching request; fail[n] is raised by request n.
    * delay: path glob -> seconds a matching request takes.
    """

    def __init__(self, routes=V2_ROUTES, users=None, orgs=None, routing_status=404):
        self.routes = set(routes)
        self.routing_status = routing_status
        self.users = dict({'7': (OWN, ['alice@acme.example', 'alice']), '8': (OWN, ['bob']), '9': ('2', ['carol'])}
                          if users is None else users)
        self.orgs = dict({OWN: 'ACME', '2': 'Globex', '3': 'Initech'} if orgs is None else orgs)
        self.hidden = set()
        self.entries = {}  # ('user' or 'org', ID) -> {key: bytes}, in the order of creation
        self.max_limit = 1000
        self.max_items = None
        self.requests = []  # (method, path, body, org_id, params)
        self.unrouted = []  # (method, path) of the requests answered with a routing error
        self.faults = []
        self.fail = {}
        self.delay = {}
        self.lock = threading.Lock()

    # what was sent

    @property
    def calls(self):
        return [(method, path) for method, path, _body, _org, _params in self.requests]

    def sent(self, pattern='*'):
        """(method, path, body, params) of the requests whose path matches the glob."""
        return [(m, p, b, q) for m, p, b, _o, q in self.requests if fnmatch.fnmatchcase(p, pattern)]

    def org_headers(self):
        return [org_id for _m, _p, _b, org_id, _q in self.requests]

    def put(self, kind, owner_id, entries):
        self.entries.setdefault((kind, owner_id), {}).update(entries)

    # the server

    def request(self, method, path, body=None, org_id=None, params=None):
        with self.lock:
            index = len(self.requests)
            self.requests.append((method, path, body, org_id, params))
        for pattern, seconds in self.delay.items():
            if fnmatch.fnmatchcase(path, pattern):
                time.sleep(seconds)
        with self.lock:
            if index in self.fail:
                raise self.fail[index]
            for fault_method, pattern, error in self.faults:
                if fault_method in ('*', method) and fnmatch.fnmatchcase(path, pattern):
                    raise error
            return self._route(method, path, body, org_id, params)

    def _route(self, method, path, body, org_id, params):
        user, org = USER_METADATA.match(path), ORG_METADATA.match(path)
        if user or org or path in (USERS_PATH, ORGS_PATH):
            family = ('user_v2' if user else 'org_v2beta' if org and org.group('beta') else 'org_v2' if org
                      else 'users_v2' if path == USERS_PATH else 'orgs_v2')
            if family not in self.routes:
                self.unrouted.append((method, path))
                raise routing_error(method, path, self.routing_status)
            assert org_id is None, 'a v2 request with x-zitadel-orgid %s' % org_id
        if user:
            return self._v2_metadata('user', unquote(user.group('id')), bool(user.group('search')), method, path, body, params)
        if org:
            beta = bool(org.group('beta'))
            return self._v2_metadata('org', unquote(org.group('id')), bool(org.group('search')), method, path, body, params, beta)
        if path == USERS_PATH:
            return self._users(method, path, body)
        if path == ORGS_PATH:
            return self._orgs(method, path, body)
        if path == MY_ORG_PATH:
            assert method == 'GET'
            context = org_id or OWN
            return {'org': {'id': context, 'name': self.orgs[context], 'state': 'ORG_STATE_ACTIVE'}}
        if path == V1_USERS:
            return self._v1_users(body, org_id or OWN)
        match = V1_METADATA.match(path)
        assert match, 'no route for %s %s' % (method, path)
        return self._v1_metadata(method, path, body, org_id or OWN, match.group('user'), unquote(match.group('key') or ''))

    def _v2_metadata(self, kind, owner_id, search, method, path, body, params, beta=False):
        exists = owner_id in (self.users if kind == 'user' else self.orgs)
        readable = exists and owner_id not in self.hidden
        entries = self.entries.setdefault((kind, owner_id), {}) if exists else {}
        if search:
            assert method == 'POST'
            paging = body.get('pagination') or {}
            limit = paging.get('limit') or 0
            if limit > self.max_limit:
                raise zitadel_error(400, 3, 'QUERY-4M0fs', 'Limit exceeded', method, path)
            field, condition, prefix = ('filter', 'keyQuery', 'TEXT_QUERY_METHOD_') if beta else ('filters', 'keyFilter', 'TEXT_FILTER_METHOD_')
            items = list(entries.items()) if paging.get('asc') or kind == 'org' else list(reversed(list(entries.items())))
            for wanted in body.get(field) or ():  # protojson ignores the fields of the other version
                key, how = wanted[condition]['key'], wanted[condition]['method']
                assert how in (prefix + 'EQUALS', prefix + 'STARTS_WITH'), how
                items = [(k, v) for k, v in items if (k == key if how.endswith('EQUALS') else k.startswith(key))]
            total = len(items) if kind == 'user' or readable else 0  # a user's list counts entries it does not show
            items = items if readable else []
            offset = int(paging.get('offset') or 0)
            page = items[offset:offset + (limit or 100)]
            if self.max_items is not None and len(page) > self.max_items:
                raise api_error(429, method, path, SIZE_LIMIT)
            result = {'pagination': dict({'totalResult': str(total)} if total else {}, appliedLimit=str(limit or 100))}
            if page:
                result['metadata'] = [{'key': k, 'value': b64(v), 'creationDate': '2026-05-01T08:00:00Z'} for k, v in page]
            return result
        if kind == 'user' and not exists:
            raise zitadel_error(400, 9, 'COMMAND-uXHNj', 'User could not be found', method, path)
        if not readable:
            raise zitadel_error(404, 5, 'AUTHZ-cdgFk', 'membership not found', method, path)
        if method == 'POST':
            assert set(body) == {'metadata'}, body
            if not body['metadata']:
                raise zitadel_error(400, 3, 'META-9mm2d', 'Metadata list is empty', method, path)
            for item in body['metadata']:
                assert 1 <= len(item['key']) <= 200 and 1 <= len(base64.b64decode(item['value'])) <= 500000
            entries.update({item['key']: base64.b64decode(item['value']) for item in body['metadata']})
            return {'setDate': '2026-05-04T10:00:00Z'}
        assert method == 'DELETE' and body is None, (method, body)
        keys = list((params or {}).get('keys') or ())
        if not keys:
            raise zitadel_error(400, 3, 'META-9mm2d' if kind == 'user' else 'META-9mw2d', 'Metadata list is empty', method, path)
        if not set(keys) <= set(entries):
            raise zitadel_error(404, 5, 'META-2nnds' if kind == 'user' else 'META-2npds', 'One or more keys do not exist', method, path)
        for key in keys:
            del entries[key]
        return {'deletionDate': '2026-05-04T10:05:00Z'}

    def _users(self, method, path, body):
        assert method == 'POST'
        found = [user_id for user_id in sorted(self.users, reverse=True)
                 if user_id not in self.hidden and all(self._user_matches(user_id, query) for query in body.get('queries') or ())]
        return self._page([{'userId': user_id, 'details': {'resourceOwner': self.users[user_id][0]}, 'state': 'USER_STATE_ACTIVE',
                            'username': self.users[user_id][1][0], 'loginNames': self.users[user_id][1],
                            'preferredLoginName': self.users[user_id][1][0]} for user_id in found], body.get('query'))

    def _user_matches(self, user_id, query):
        org, names = self.users[user_id]
        (kind, value), = query.items()
        if kind == 'orQuery':
            return any(self._user_matches(user_id, sub) for sub in value['queries'])
        if kind == 'inUserIdsQuery':
            return user_id in value['userIds']
        if kind == 'organizationIdQuery':
            return org == value['organizationId']
        assert kind == 'loginNameQuery' and 1 <= len(value['loginName']) <= 200, query
        assert value['method'] in ('TEXT_QUERY_METHOD_EQUALS', 'TEXT_QUERY_METHOD_EQUALS_IGNORE_CASE'), query
        if value['method'] == 'TEXT_QUERY_METHOD_EQUALS':
            return value['loginName'] in names
        return value['loginName'].lower() in [name.lower() for name in names]

    def _orgs(self, method, path, body):
        assert method == 'POST'
        matching = [org_id for org_id in sorted(self.orgs) if all(self._org_matches(org_id, query) for query in body.get('queries') or ())]
        answer_ = self._page([{'id': org_id, 'name': self.orgs[org_id], 'state': 'ORGANIZATION_STATE_ACTIVE'} for org_id in matching],
                             body.get('query'))
        # As SearchOrgs: the page is read, then what the credentials may not read is left out; the total counts it.
        answer_['result'] = [org for org in answer_['result'] if org['id'] not in self.hidden]
        return answer_

    def _org_matches(self, org_id, query):
        (kind, value), = query.items()
        if kind == 'idQuery':
            return org_id == value['id']
        assert kind == 'nameQuery' and value['method'] == 'TEXT_QUERY_METHOD_EQUALS_IGNORE_CASE', query
        return self.orgs[org_id].lower() == value['name'].lower()

    @staticmethod
    def _page(items, query):
        query = query or {}
        offset, limit = int(query.get('offset') or 0), query.get('limit') or 0
        return {'details': {'totalResult': str(len(items))}, 'result': items[offset:offset + limit] if limit else items[offset:]}

    def _v1_users(self, body, context):
        found = [user_id for user_id in sorted(self.users, reverse=True)
                 if self.users[user_id][0] == context and all(self._user_matches(user_id, query) for query in body.get('queries') or ())]
        return self._page([{'id': user_id, 'details': {'resourceOwner': context}, 'loginNames': self.users[user_id][1],
                            'preferredLoginName': self.users[user_id][1][0]} for user_id in found], body.get('query'))

    def _v1_metadata(self, method, path, body, context, user, key):
        if user is None:
            entries = self.entries.setdefault(('org', context), {})
        elif user in self.users and self.users[user][0] == context:
            entries = self.entries.setdefault(('user', user), {})
        elif key == '_search':
            entries = {}
        else:
            raise zitadel_error(400, 9, 'COMMAND-uXHNj', 'User could not be found', method, path)
        if key == '_search':
            return self._page([{'key': k, 'value': b64(v)} for k, v in entries.items()], body.get('query'))
        if key == '_bulk' and method == 'POST':
            entries.update({item['key']: base64.b64decode(item['value']) for item in body['metadata']})
        elif key == '_bulk':
            if not set(body['keys']) <= set(entries):
                raise zitadel_error(404, 5, 'META-2nnds', 'One or more keys do not exist', method, path)
            for k in body['keys']:
                del entries[k]
        elif method == 'POST':
            entries[key] = base64.b64decode(body['value'])
        elif key not in entries:
            raise zitadel_error(404, 5, 'META-ncnw3', 'Metadata not found', method, path)
        else:
            del entries[key]
        return {}


def alice():
    return User('7')


def user_search(*queries):
    """The body of a v2 ListUsers of the first 1000 users matching every query."""
    return {'queries': list(queries), 'query': {'offset': '0', 'limit': 1000}}


def login(name):
    return {'loginNameQuery': {'loginName': name, 'method': 'TEXT_QUERY_METHOD_EQUALS_IGNORE_CASE'}}


def pagination(offset=0, limit=1000):
    return {'offset': str(offset), 'limit': limit, 'asc': True}


# list

def test_list_one_key_filters_by_the_exact_key():
    server = FakeZitadel()
    server.put('user', '7', {'a b': b'v', 'a bc': b'w'})
    assert V2Metadata(server).list(alice(), keys=['a b']) == {'a b': b'v'}
    assert server.sent() == [('POST', '/v2/users/7/metadata/search', {
        'filters': [{'keyFilter': {'key': 'a b', 'method': 'TEXT_FILTER_METHOD_EQUALS'}}], 'pagination': pagination()}, None)]


def test_list_a_prefix_and_only_what_it_asked_for():
    client = FakeZitadel()
    client.put('user', '7', {'app_x': b'1', 'app': b'2', 'other': b'3'})
    assert V2Metadata(client).list(alice(), prefix='app_') == {'app_x': b'1'}
    assert client.sent()[0][2]['filters'] == [{'keyFilter': {'key': 'app_', 'method': 'TEXT_FILTER_METHOD_STARTS_WITH'}}]

    class Wildcards:  # a server whose STARTS_WITH treats _ as a wildcard answers more than the prefix
        @staticmethod
        def request(method, path, body=None, org_id=None, params=None):  # pylint: disable=unused-argument
            return {'pagination': {'totalResult': '2'}, 'metadata': [{'key': 'app_x', 'value': b64(b'1')}, {'key': 'appXx', 'value': b64(b'2')}]}
    assert V2Metadata(Wildcards()).list(alice(), prefix='app_') == {'app_x': b'1'}


def test_list_several_keys_lists_all_and_keeps_those_asked_for():
    server = FakeZitadel()
    server.put('user', '7', {'a': b'1', 'b': b'2', 'c': b'3'})
    assert V2Metadata(server).list(alice(), keys=['a', 'c', 'missing']) == {'a': b'1', 'c': b'3'}
    assert server.sent() == [('POST', '/v2/users/7/metadata/search', {'pagination': pagination()}, None)]


@pytest.mark.parametrize('org_api, path, field, condition, method', [
    ('v2', '/v2/organizations/5/metadata/search', 'filters', 'keyFilter', 'TEXT_FILTER_METHOD_EQUALS'),
    ('v2beta', '/v2beta/organizations/5/metadata/search', 'filter', 'keyQuery', 'TEXT_QUERY_METHOD_EQUALS'),
])
def test_org_list_shapes_of_v2_and_v2beta(org_api, path, field, condition, method):
    server = FakeZitadel(orgs={'5': 'ACME'})
    server.put('org', '5', {'tier': b'gold', 'tiers': b'x'})
    api = V2Metadata(server, org_api=org_api)
    assert api.list(Organisation('5'), keys=['tier']) == {'tier': b'gold'}
    assert api.list(Organisation('5'), prefix='ti') == {'tier': b'gold', 'tiers': b'x'}
    assert api.list(Organisation('5')) == {'tier': b'gold', 'tiers': b'x'}
    assert server.sent() == [
        ('POST', path, {field: [{condition: {'key': 'tier', 'method': method}}], 'pagination': pagination()}, None),
        ('POST', path, {field: [{condition: {'key': 'ti', 'method': method.replace('EQUALS', 'STARTS_WITH')}}], 'pagination': pagination()}, None),
        ('POST', path, {'pagination': pagination()}, None)]


def test_list_pages_over_2500_entries_in_3_requests_in_ascending_order():
    server = FakeZitadel()
    server.put('user', '7', {'k%04d' % i: b'v' for i in range(2500)})
    entries = V2Metadata(server).list(alice())
    assert sorted(entries) == ['k%04d' % i for i in range(2500)]
    assert [body['pagination'] for _m, _p, body, _q in server.sent()] == [pagination(0), pagination(1000), pagination(2000)]


def test_the_list_of_an_unknown_user_is_empty():
    server = FakeZitadel()
    assert V2Metadata(server).list(User('404')) == {} and len(server.requests) == 1


@pytest.mark.parametrize('entries, counted', [({'a': b'1', 'b': b'2'}, '2 entries'), ({'a': b'1'}, '1 entry')])
def test_a_user_list_that_counts_entries_it_does_not_show_fails(entries, counted):
    server = FakeZitadel()
    server.put('user', '7', entries)
    server.hidden.add('7')
    with pytest.raises(ZitadelError) as info:
        V2Metadata(server).list(User('7', org_id='1'))
    assert str(info.value) == ('Could not list metadata on user 7 in organisation 1: ZITADEL counts %s but shows none, so the '
                               'credentials lack permission user.read on it. Grant the service account a role that includes '
                               'user.read, for example ORG_USER_MANAGER or ORG_OWNER_VIEWER.' % counted)
    assert not isinstance(info.value, ZitadelApiError)


def test_an_org_list_the_credentials_may_not_read_is_empty():
    """ZITADEL filters organisation metadata in SQL: totalResult 0, no signal; missing() tells."""
    server = FakeZitadel()
    server.put('org', '2', {'a': b'1'})
    server.hidden.add('2')
    assert V2Metadata(server).list(Organisation('2')) == {}


def test_the_list_stops_at_an_empty_page():
    pages = [{'pagination': {'totalResult': '5'}, 'metadata': [{'key': 'a', 'value': b64(b'1')}]}, {'pagination': {'totalResult': '5'}}]
    calls = []

    class Client:
        @staticmethod
        def request(method, path, body=None, org_id=None, params=None):  # pylint: disable=unused-argument
            calls.append(body['pagination'])
            return pages.pop(0)
    assert V2Metadata(Client()).list(alice()) == {'a': b'1'}
    assert calls == [pagination(0), pagination(1)]


# set

def test_set_is_one_request_whatever_the_keys():
    server = FakeZitadel()
    keys = {'a/b': b'1', '_bulk': b'2', '..': b'3', 'k ü%': b'4'}
    V2Metadata(server).set(alice(), keys)
    assert server.sent() == [('POST', '/v2/users/7/metadata', {'metadata': [{'key': k, 'value': b64(v)} for k, v in keys.items()]}, None)]
    assert server.entries[('user', '7')] == keys


@pytest.mark.parametrize('org_api, path', [('v2', '/v2/organizations/5/metadata'), ('v2beta', '/v2beta/organizations/5/metadata')])
def test_org_set_and_remove_routes(org_api, path):
    server = FakeZitadel(orgs={'5': 'ACME'})
    api = V2Metadata(server, org_api=org_api)
    api.set(Organisation('5'), {'tier': b'gold', 'x': b'y'})
    api.remove(Organisation('5'), ['tier', 'x'])
    assert server.sent() == [('POST', path, {'metadata': [{'key': 'tier', 'value': b64(b'gold')}, {'key': 'x', 'value': b64(b'y')}]}, None),
                             ('DELETE', path, None, {'keys': ['tier', 'x']})]
    assert server.entries[('org', '5')] == {}


def test_user_ids_and_org_ids_are_escaped_in_paths():
    server = FakeZitadel(users={'a b/c': (OWN, ['x'])}, orgs={'o/1': 'X'})
    api = V2Metadata(server)
    api.set(User('a b/c'), {'k': b'v'})
    api.list(Organisation('o/1'))
    assert server.calls == [('POST', '/v2/users/a%20b%2Fc/metadata'), ('POST', '/v2/organizations/o%2F1/metadata/search')]


def test_nine_values_of_500000_bytes_take_two_requests():
    server = FakeZitadel()
    values = {'k%d' % i: bytes([65 + i]) * 500000 for i in range(9)}
    V2Metadata(server).set(alice(), values)
    assert server.calls == [('POST', '/v2/users/7/metadata')] * 2
    assert [[item['key'] for item in body['metadata']] for _m, _p, body, _q in server.sent()] == [['k%d' % i for i in range(8)], ['k8']]
    for _m, _p, body, _q in server.sent():
        assert sum(len(item['key']) + len(base64.b64decode(item['value'])) for item in body['metadata']) <= REQUEST_BUDGET
    assert server.entries[('user', '7')] == values


def test_a_failing_later_set_request_reports_what_was_written():
    server = FakeZitadel()
    server.fail[1] = zitadel_error(503, 14, 'ERR-x', 'unavailable')
    with pytest.raises(PartialApplyError) as info:
        V2Metadata(server).set(User('7', org_id='1'), {'k%d' % i: b'x' * 500000 for i in range(9)})
    assert info.value.written == "set keys 'k0', 'k1', 'k2', 'k3', 'k4' and 3 more"
    assert info.value.cause.status == 503
    assert str(info.value).startswith("Could not set metadata key 'k8' on user 7 in organisation 1: ")
    assert sorted(server.entries[('user', '7')]) == ['k%d' % i for i in range(8)]


def test_a_failing_first_set_request_is_the_error_itself():
    server = FakeZitadel()
    with pytest.raises(ZitadelApiError) as info:
        V2Metadata(server).set(User('404'), {'a': b'1'})
    assert info.value.error_id == 'COMMAND-uXHNj' and 'the user does not exist' in str(info.value)


# remove

def test_remove_is_one_delete_with_the_keys_in_the_query():
    server = FakeZitadel()
    server.put('user', '7', {'a': b'1', 'b/c': b'2', 'd': b'3'})
    V2Metadata(server).remove(alice(), ['a', 'b/c'])
    assert server.sent() == [('DELETE', '/v2/users/7/metadata', None, {'keys': ['a', 'b/c']})]
    assert server.entries[('user', '7')] == {'d': b'3'}


def test_a_removal_longer_than_the_query_budget_is_split():
    keys = ['%03d' % i + 'é' * 197 for i in range(40)]  # 200 characters, 1185 when percent-encoded
    server = FakeZitadel()
    server.put('user', '7', {key: b'v' for key in keys})
    V2Metadata(server).remove(alice(), keys)
    sent = server.sent()
    assert [(m, p, b) for m, p, b, _q in sent] == [('DELETE', '/v2/users/7/metadata', None)] * 14
    assert [len(q['keys']) for _m, _p, _b, q in sent] == [3] * 13 + [1]
    assert [key for _m, _p, _b, q in sent for key in q['keys']] == keys, 'every key once, in order'
    assert all(len(urlencode(q, doseq=True)) <= QUERY_BUDGET for _m, _p, _b, q in sent)
    assert server.entries[('user', '7')] == {}


def test_a_short_removal_of_many_keys_is_one_request():
    keys = ['k%03d' % i for i in range(400)]  # 3999 characters of query string: the budget counts what the URL holds
    server = FakeZitadel()
    server.put('user', '7', {key: b'v' for key in keys})
    V2Metadata(server).remove(alice(), keys)
    assert len(server.requests) == 1 and len(urlencode(server.sent()[0][3], doseq=True)) <= QUERY_BUDGET


def test_a_failing_later_removal_request_reports_what_was_removed():
    keys = ['%03d' % i + 'é' * 197 for i in range(6)]
    server = FakeZitadel()
    server.put('user', '7', {key: b'v' for key in keys})
    server.fail[1] = zitadel_error(503, 14, 'ERR-x', 'unavailable', 'DELETE')
    with pytest.raises(PartialApplyError) as info:
        V2Metadata(server).remove(alice(), keys)
    assert info.value.written == 'removed keys %s' % ', '.join(repr(k) for k in keys[:3])
    assert sorted(server.entries[('user', '7')]) == keys[3:]


@pytest.mark.parametrize('kind, owner, path, error_id', [
    ('user', User('7'), '/v2/users/7/metadata', 'META-2nnds'),
    ('org', Organisation('2'), '/v2/organizations/2/metadata', 'META-2npds'),
])
def test_a_removal_with_a_missing_key_removes_the_others(kind, owner, path, error_id):
    owner_id = owner.user_id if kind == 'user' else owner.org_id
    server = FakeZitadel()
    server.put(kind, owner_id, {'b': b'1', 'c': b'2'})
    with pytest.raises(ZitadelApiError) as info:
        server.request('DELETE', path, params={'keys': ['a', 'b']})
    assert (info.value.status, info.value.error_id) == (404, error_id) and server.entries[(kind, owner_id)] == {'b': b'1', 'c': b'2'}
    server.requests = []
    V2Metadata(server).remove(owner, ['a', 'b'])
    assert [(m, p, q) for m, p, _b, q in server.sent()] == [('DELETE', path, {'keys': ['a', 'b']}), ('POST', path + '/search', None),
                                                            ('DELETE', path, {'keys': ['b']})]
    assert server.entries[(kind, owner_id)] == {'c': b'2'}


def test_a_removal_of_keys_all_gone_is_done():
    server = FakeZitadel()
    V2Metadata(server).remove(alice(), ['a'])
    V2Metadata(server).remove(alice(), ['a', 'b'])
    assert server.calls == [('DELETE', '/v2/users/7/metadata'), ('DELETE', '/v2/users/7/metadata'), ('POST', '/v2/users/7/metadata/search')]


def test_a_key_already_gone_in_a_later_removal_request_counts_as_removed():
    keys = ['%03d' % i + 'é' * 197 for i in range(6)]
    server = FakeZitadel()
    server.put('user', '7', {key: b'v' for key in keys[:-1]})
    V2Metadata(server).remove(alice(), keys)
    assert server.entries[('user', '7')] == {}


def test_remove_fails_on_other_errors():
    server = FakeZitadel()
    server.put('user', '7', {'a': b'1', 'b': b'2'})
    server.faults.append(('DELETE', '*', zitadel_error(403, 7, 'AUTH-AWfge', 'No matching permissions found', 'DELETE')))
    with pytest.raises(ZitadelApiError) as info:
        V2Metadata(server).remove(User('7', org_id='1'), ['a', 'b'])
    assert str(info.value).startswith("Could not remove metadata keys 'a', 'b' on user 7 in organisation 1: the credentials lack "
                                      'permission user.write')
    assert len(server.requests) == 1


# no x-zitadel-orgid

def test_no_request_names_an_organisation_in_a_header():
    server = FakeZitadel()
    server.put('user', '9', {'a': b'1'})
    api = V2Metadata(server)
    carol = User('9', org_id='2')
    api.list(carol)
    api.set(carol, {'b': b'2'})
    api.remove(carol, ['a', 'gone'])
    api.list(Organisation('2'))
    api.set(Organisation('2'), {'a': b'1'})
    api.find_users([User(login_name='carol', org_id='2'), User(login_name='bob')])
    api.find_orgs([Organisation(), Organisation(org_name='Globex')])
    api.missing([carol, Organisation('2')])
    assert len(server.requests) == 13 and server.org_headers() == [None] * 13


# find_users

def test_find_users_sends_one_request_for_many_login_names_across_organisations():
    server = FakeZitadel()
    alice_, bob, carol, nobody = (User(login_name='ALICE'), User(login_name='bob'), User(login_name='Carol'), User(login_name='nobody'))
    assert V2Metadata(server).find_users([alice_, bob, carol, nobody]) == [nobody]
    assert server.sent() == [('POST', USERS_PATH, user_search({'orQuery': {'queries': [login('alice'), login('bob'), login('carol'),
                                                                                       login('nobody')]}}), None)]
    assert [(u.user_id, u.org_id, u.found) for u in (alice_, bob, carol)] == [('7', OWN, True), ('8', OWN, True), ('9', '2', True)]
    assert (nobody.user_id, nobody.org_id, nobody.found) == (None, None, False)


def test_find_users_matches_any_login_name_ignoring_case():
    server = FakeZitadel()
    owner = User(login_name='Alice@ACME.example')
    assert V2Metadata(server).find_users([owner]) == [] and owner.user_id == '7'
    assert server.sent()[0][2] == user_search(login('alice@acme.example')), 'one name: no orQuery'


def test_find_users_narrows_to_a_given_organisation():
    server = FakeZitadel(users={'7': (OWN, ['alice']), '17': ('2', ['alice']), '9': ('2', ['carol'])})
    in_two, carol, anywhere = User(login_name='alice', org_id='2'), User(login_name='carol', org_id='2'), User(login_name='carol')
    missing = V2Metadata(server).find_users([in_two, anywhere, carol])
    assert missing == []
    assert (in_two.user_id, in_two.org_id) == ('17', '2') and (anywhere.user_id, anywhere.org_id) == ('9', '2')
    assert [body for _m, _p, body, _q in server.sent()] == [
        user_search({'orQuery': {'queries': [login('alice'), login('carol')]}}, {'organizationIdQuery': {'organizationId': '2'}}),
        user_search(login('carol'))]


def test_find_users_in_an_organisation_without_them():
    server = FakeZitadel()
    owner = User(login_name='alice', org_id='2')
    assert V2Metadata(server).find_users([owner]) == [owner] and owner.user_id is None


def test_find_users_does_not_see_users_the_credentials_may_not_read():
    server = FakeZitadel()
    server.hidden.add('8')
    bob = User(login_name='bob')
    assert V2Metadata(server).find_users([bob]) == [bob]


def test_find_users_matches_the_preferred_login_name():
    class Client:
        @staticmethod
        def request(method, path, body=None, org_id=None, params=None):  # pylint: disable=unused-argument
            return {'details': {'totalResult': '1'}, 'result': [{'userId': '10', 'preferredLoginName': 'Alice@Acme', 'details': {'resourceOwner': '3'}}]}
    owner = User(login_name='alice@acme')
    assert V2Metadata(Client()).find_users([owner]) == [] and (owner.user_id, owner.org_id) == ('10', '3')


def test_find_users_sends_one_request_per_1000_names():
    users = [User(login_name='u%d' % i) for i in range(2500)]
    server = FakeZitadel(users={'id%d' % i: (OWN, ['u%d' % i]) for i in range(0, 2500, 2)})
    missing = V2Metadata(server).find_users(users)
    assert [len(body['queries'][0]['orQuery']['queries']) for _m, _p, body, _q in server.sent()] == [1000, 1000, 500]
    assert [u.login_name for u in missing] == ['u%d' % i for i in range(1, 2500, 2)]
    assert users[2].user_id == 'id2'


def test_find_users_names_the_instance_in_errors():
    server = FakeZitadel()
    server.faults.append(('POST', USERS_PATH, zitadel_error(401, 16, 'AUTH-7fs1e', 'Invalid token')))
    with pytest.raises(ZitadelApiError) as info:
        V2Metadata(server).find_users([User(login_name='alice')])
    assert str(info.value).startswith('Could not find users by login name on the instance: the credentials were rejected')


def test_no_users_no_request():
    server = FakeZitadel()
    api = V2Metadata(server)
    assert api.find_users([]) == [] and api.find_orgs([]) == [] and api.missing([]) == [] and server.requests == []


# find_orgs

def test_one_org_name_is_one_name_query():
    server = FakeZitadel()
    acme = Organisation(org_name='acme')
    assert V2Metadata(server).find_orgs([acme]) == []
    assert (acme.org_id, acme.found) == (OWN, True)
    assert server.sent() == [('POST', ORGS_PATH, {'queries': [{'nameQuery': {'name': 'acme', 'method': 'TEXT_QUERY_METHOD_EQUALS_IGNORE_CASE'}}],
                                                  'query': {'offset': '0', 'limit': 1000}}, None)]


def test_an_unknown_org_name_is_returned():
    server = FakeZitadel()
    nope = Organisation(org_name='Nope')
    assert V2Metadata(server).find_orgs([nope]) == [nope] and nope.org_id is None and not nope.found


def test_several_org_names_are_one_search_of_every_organisation():
    server = FakeZitadel()
    acme, globex, nope = Organisation(org_name='ACME'), Organisation(org_name='globex'), Organisation(org_name='Nope')
    assert V2Metadata(server).find_orgs([acme, globex, nope]) == [nope]
    assert (acme.org_id, globex.org_id, nope.org_id) == (OWN, '2', None)
    assert server.sent() == [('POST', ORGS_PATH, {'queries': [], 'query': {'offset': '0', 'limit': 1000}}, None)]


def test_organisations_the_credentials_may_not_read_are_not_found():
    server = FakeZitadel()
    server.hidden.add('3')
    acme, initech = Organisation(org_name='acme'), Organisation(org_name='Initech')
    assert V2Metadata(server).find_orgs([initech]) == [initech]
    assert V2Metadata(server).find_orgs([acme, initech]) == [initech]
    assert acme.org_id == OWN and initech.org_id is None
    assert all(body['queries'] == [] for _m, _p, body, _q in server.sent()[1:])


def test_readable_organisations_beyond_a_page_of_hidden_ones_are_found():
    server = FakeZitadel(orgs={'%04d' % i: 'org %d' % i for i in range(2500)})
    server.hidden.update('%04d' % i for i in range(2500) if i not in (1, 2400))
    first, last = Organisation(org_name='org 1'), Organisation(org_name='org 2400')
    assert V2Metadata(server).find_orgs([first, last]) == []
    assert V2Metadata(server).missing([Organisation('0001'), Organisation('2400')]) == []


def test_the_search_of_every_organisation_pages_by_1000():
    server = FakeZitadel(orgs={'%04d' % i: 'org %d' % i for i in range(2500)})
    first, last = Organisation(org_name='ORG 0'), Organisation(org_name='org 2499')
    assert V2Metadata(server).find_orgs([first, last]) == []
    assert (first.org_id, last.org_id) == ('0000', '2499')
    assert [body['query'] for _m, _p, body, _q in server.sent()] == [{'offset': str(o), 'limit': 1000} for o in (0, 1000, 2000)]


def test_the_own_organisation_is_asked_once():
    server = FakeZitadel()
    api = V2Metadata(server)
    owners = [Organisation(), Organisation(), Organisation()]
    assert api.find_orgs(owners[:2]) == [] and api.find_orgs(owners[2:]) == []
    assert [(o.org_id, o.found, o.own) for o in owners] == [(OWN, True, True)] * 3
    assert server.sent() == [('GET', MY_ORG_PATH, None, None)]
    assert owners[0].name == "the service account's own organisation (1)"


def test_the_own_organisation_is_asked_once_by_concurrent_workers():
    server = FakeZitadel()
    server.delay[MY_ORG_PATH] = 0.05
    api = V2Metadata(server)
    barrier = threading.Barrier(8)
    owners = [Organisation() for _index in range(8)]

    def find(owner):
        barrier.wait()
        api.find_orgs([owner])
    threads = [threading.Thread(target=find, args=(owner,)) for owner in owners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert server.calls == [('GET', MY_ORG_PATH)] and [o.org_id for o in owners] == [OWN] * 8


def test_an_answer_without_the_own_organisation_fails():
    class Client:
        @staticmethod
        def request(method, path, body=None, org_id=None, params=None):  # pylint: disable=unused-argument
            return {}
    with pytest.raises(ZitadelError, match=r"^ZITADEL did not name the service account's own organisation \(GET /management/v1/orgs/me\); give org_id\.$"):
        V2Metadata(Client()).find_orgs([Organisation()])


def test_own_and_named_organisations_together():
    server = FakeZitadel()
    own, globex = Organisation(), Organisation(org_name='GLOBEX')
    assert V2Metadata(server).find_orgs([own, globex]) == []
    assert (own.org_id, globex.org_id) == (OWN, '2')
    assert server.calls == [('GET', MY_ORG_PATH), ('POST', ORGS_PATH)]
    assert server.sent()[1][2]['queries'] == [{'nameQuery': {'name': 'GLOBEX', 'method': 'TEXT_QUERY_METHOD_EQUALS_IGNORE_CASE'}}]


# missing

def test_missing_users_by_id_in_chunks_of_1000_across_organisations():
    users = [User('%d' % i, org_id='A' if i % 2 else None) for i in range(1500)]
    server = FakeZitadel(users={'%d' % i: ('A' if i % 3 else 'B', ['n%d' % i]) for i in range(1, 1500)})
    server.hidden.add('5')
    missing = V2Metadata(server).missing(users)
    assert [u.user_id for u in missing] == ['0', '5']
    assert [body for _m, _p, body, _q in server.sent()] == [
        user_search({'inUserIdsQuery': {'userIds': ['%d' % i for i in range(1000)]}}),
        user_search({'inUserIdsQuery': {'userIds': ['%d' % i for i in range(1000, 1500)]}})]


def test_one_missing_organisation_is_asked_by_id():
    server = FakeZitadel()
    assert V2Metadata(server).missing([Organisation('2')]) == []
    nope = Organisation('404')
    assert V2Metadata(server).missing([nope]) == [nope]
    assert [body for _m, _p, body, _q in server.sent()] == [{'queries': [{'idQuery': {'id': '2'}}], 'query': {'offset': '0', 'limit': 1000}},
                                                            {'queries': [{'idQuery': {'id': '404'}}], 'query': {'offset': '0', 'limit': 1000}}]


def test_several_organisations_are_one_search_of_all():
    server = FakeZitadel()
    server.hidden.add('3')
    orgs = [Organisation('2'), Organisation('3'), Organisation('404'), Organisation(OWN)]
    nobody = User('404')
    assert V2Metadata(server).missing([orgs[0], User('7'), orgs[1], orgs[2], orgs[3], nobody]) == [nobody, orgs[1], orgs[2]]
    sent = [(p, body['queries']) for _m, p, body, _q in server.sent()]
    assert sent[0] == (USERS_PATH, [{'inUserIdsQuery': {'userIds': ['7', '404']}}])
    assert sent[1:] and all(s == (ORGS_PATH, []) for s in sent[1:])


# page size

def test_the_page_shrinks_when_an_answer_exceeds_the_message_size_limit():
    server = FakeZitadel()
    server.put('user', '7', {'k%04d' % i: b'v' for i in range(700)})
    server.max_items = 500
    api = V2Metadata(server)
    assert len(api.list(alice())) == 700
    assert [body['pagination'] for _m, _p, body, _q in server.sent()] == [pagination(0, 1000), pagination(0, 500), pagination(500, 500)]
    assert api.page_size == 500
    api.list(Organisation('2'))
    assert server.sent()[-1][2]['pagination'] == pagination(0, 500), 'the smaller page holds for every later list'


def test_a_lower_server_limit_falls_back_to_the_servers_default():
    server = FakeZitadel()
    server.put('user', '7', {'k%03d' % i: b'v' for i in range(250)})
    server.max_limit = 500
    api = V2Metadata(server)
    assert len(api.list(alice())) == 250
    assert [body['pagination'] for _m, _p, body, _q in server.sent()] == [pagination(0, 1000)] + [pagination(o, 0) for o in (0, 100, 200)]
    assert api.page_size == 0


def test_the_organisation_search_shrinks_its_page_too():
    server = FakeZitadel()
    server.fail[0] = api_error(429, 'POST', ORGS_PATH, SIZE_LIMIT)
    globex = Organisation(org_name='globex')
    api = V2Metadata(server)
    assert api.find_orgs([globex, Organisation(org_name='acme')]) == [] and globex.org_id == '2'
    assert [body['query'] for _m, _p, body, _q in server.sent()] == [{'offset': '0', 'limit': 1000}, {'offset': '0', 'limit': 500}]
    assert api.page_size == 500


# routes the server does not have

def test_a_missing_route_names_what_to_do():
    server = FakeZitadel(routes=())
    with pytest.raises(ZitadelApiError) as info:
        V2Metadata(server).list(User('7', org_id='1'))
    assert info.value.is_routing_not_found and info.value.error_id is None
    assert str(info.value) == ('Could not list metadata on user 7 in organisation 1: ZITADEL has no such endpoint (HTTP 404 for POST '
                               '/v2/users/7/metadata/search). Check that api_url is the root URL of the ZITADEL API. ' + V2Metadata.missing_route_hint)
    assert 'api_version' in V2Metadata.missing_route_hint


def test_a_missing_route_is_not_a_missing_key():
    server = FakeZitadel(routes=('user_v2',))
    with pytest.raises(ZitadelApiError, match='no such endpoint'):
        V2Metadata(server, org_api='v2beta').remove(Organisation('2'), ['a'])
    assert len(server.requests) == 1


@pytest.mark.parametrize('status', [405, 501])
def test_older_gateways_answer_other_methods_without_an_error_id(status):
    server = FakeZitadel(routes=(), routing_status=status)
    with pytest.raises(ZitadelApiError) as info:
        V2Metadata(server).set(alice(), {'a': b'1'})
    assert info.value.is_routing_not_found and V2Metadata.missing_route_hint in str(info.value)
