# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import threading

import pytest

from ansible_collections.community.zitadel.plugins.module_utils._auto import AutoMetadata, Negotiation
from ansible_collections.community.zitadel.plugins.module_utils._errors import ZitadelApiError, ZitadelError, ZitadelRequestError
from ansible_collections.community.zitadel.plugins.module_utils._owners import Organisation, User, user
from ansible_collections.community.zitadel.plugins.module_utils._protocol import Target
from ansible_collections.community.zitadel.plugins.module_utils._reconcile import Codec, Masking, declare, read, reconcile
from ansible_collections.community.zitadel.plugins.module_utils._v2 import MY_ORG_PATH, ORGS_PATH, USERS_PATH
from ansible_collections.community.zitadel.tests.unit.plugins.module_utils.test_v2 import (
    OWN,
    V1_USERS,
    V2_ROUTES,
    FakeZitadel,
    api_error,
    routing_error,
    zitadel_error,
)

# The servers of the ZITADEL releases: (a) v4.7 and later, (b) v4.0 to v4.6, (c) v2.x and v3.x (v2 user and organisation
# searches, no v2 metadata), (d) a server without any v2 route.
ALL_V2 = V2_ROUTES
ORG_V2BETA = frozenset(('user_v2', 'org_v2beta', 'users_v2', 'orgs_v2'))
SEARCH_ONLY = frozenset(('users_v2', 'orgs_v2'))
NO_V2 = frozenset()
SERVERS = {'a': ALL_V2, 'b': ORG_V2BETA, 'c': SEARCH_ONLY, 'd': NO_V2}
TEXT = Codec('text')


def carol():
    return User('9', org_id='2')


def sent(server):
    """(method, path, x-zitadel-orgid) of every request."""
    return [(method, path, org_id) for method, path, _body, org_id, _params in server.requests]


V2_USER = [('POST', '/v2/users/9/metadata/search', None), ('POST', '/v2/users/9/metadata', None), ('DELETE', '/v2/users/9/metadata', None)]
V1_USER = [('POST', '/management/v1/users/9/metadata/_search', '2'), ('POST', '/management/v1/users/9/metadata/a', '2'),
           ('DELETE', '/management/v1/users/9/metadata/a', '2')]
V2_ORG = [('POST', '/v2/organizations/2/metadata/search', None), ('POST', '/v2/organizations/2/metadata', None)]
V2BETA_ORG = [('POST', '/v2beta/organizations/2/metadata/search', None), ('POST', '/v2beta/organizations/2/metadata', None)]
V1_ORG = [('POST', '/management/v1/metadata/_search', '2'), ('POST', '/management/v1/metadata/t', '2')]
USER_PROBE = [('POST', '/v2/users/9/metadata/search', None)]
ORG_PROBES = [('POST', '/v2/organizations/2/metadata/search', None), ('POST', '/v2beta/organizations/2/metadata/search', None)]


@pytest.mark.parametrize('server_kind, first, then', [
    ('a', V2_USER + V2_ORG, V2_USER + V2_ORG),
    ('b', V2_USER + ORG_PROBES[:1] + V2BETA_ORG, V2_USER + V2BETA_ORG),
    ('c', USER_PROBE + V1_USER + ORG_PROBES + V1_ORG, V1_USER + V1_ORG),
    ('d', USER_PROBE + V1_USER + ORG_PROBES + V1_ORG, V1_USER + V1_ORG),
])
def test_each_family_settles_on_the_first_protocol_the_server_has(server_kind, first, then):
    server = FakeZitadel(routes=SERVERS[server_kind])
    api = AutoMetadata(server)
    for expected in (first, then):
        server.requests = []
        assert api.list(carol()) == {}
        api.set(carol(), {'a': b'1'})
        api.remove(carol(), ['a'])
        api.list(Organisation('2'))
        api.set(Organisation('2'), {'t': b'1'})
        assert sent(server) == expected
    assert server.entries[('user', '9')] == {} and server.entries[('org', '2')] == {'t': b'1'}


@pytest.mark.parametrize('server_kind, probes', [('a', 0), ('b', 1), ('c', 3), ('d', 3)])
def test_the_extra_requests_are_one_per_missing_family(server_kind, probes):
    server = FakeZitadel(routes=SERVERS[server_kind])
    api = AutoMetadata(server)
    for uid in ('7', '8'):
        api.list(User(uid))
    for org_id in (OWN, '2', '3'):
        api.list(Organisation(org_id))
    assert len(server.requests) == 5 + probes and len(server.unrouted) == probes


def test_a_target_is_bound_to_the_negotiating_api():
    server = FakeZitadel(routes=SEARCH_ONLY)
    api = AutoMetadata(server)
    target = api.target(carol())
    assert isinstance(target, Target) and target.api is api
    target.set({'a': b'1', 'b': b'2'})
    assert target.list() == {'a': b'1', 'b': b'2'}
    assert [p for _m, p, _o in sent(server)] == ['/v2/users/9/metadata', '/management/v1/users/9/metadata/_bulk',
                                                 '/management/v1/users/9/metadata/_search']


# concurrency

@pytest.mark.parametrize('server_kind, v2_requests, v1_requests', [('c', 1, 8), ('a', 8, 0)])
def test_concurrent_workers_share_what_the_first_one_learns(server_kind, v2_requests, v1_requests):
    server = FakeZitadel(routes=SERVERS[server_kind], users={str(10 + i): (OWN, ['u%d' % i]) for i in range(8)})
    server.delay['/v2/*'] = 0.05  # the first answer comes late: the other workers are all waiting by then
    for i in range(8):
        server.put('user', str(10 + i), {'k': str(i).encode()})
    api = AutoMetadata(server)
    barrier = threading.Barrier(8)
    results = {}

    def work(uid):
        barrier.wait()
        results[uid] = api.list(User(uid))
    threads = [threading.Thread(target=work, args=(str(10 + i),)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {str(10 + i): {'k': str(i).encode()} for i in range(8)}
    paths = [p for _m, p, _o in sent(server)]
    assert len([p for p in paths if p.startswith('/v2/')]) == v2_requests
    assert len([p for p in paths if p.startswith('/management/v1/')]) == v1_requests


def test_a_single_protocol_is_settled_from_the_start():
    family = Negotiation(['v1'])

    def unrouted(api):
        raise routing_error('POST', '/x/%s' % api)
    with pytest.raises(ZitadelApiError, match='/x/v1'):
        family.run(unrouted)
    assert family.run(lambda api: api) == 'v1'


def test_after_settling_operations_run_concurrently():
    family = Negotiation(['v2', 'v1'])
    assert family.run(lambda api: api) == 'v2'
    inside = threading.Barrier(2, timeout=5)
    results = []

    def work():
        results.append(family.run(lambda api: (inside.wait(), api)[1]))  # both inside at once, or the barrier breaks
    threads = [threading.Thread(target=work) for _index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ['v2', 'v2']


# what moves a family on, and what does not

@pytest.mark.parametrize('status', [404, 405, 501])
def test_a_routing_answer_moves_to_the_next_protocol(status):
    server = FakeZitadel(routes=SEARCH_ONLY, routing_status=status)
    AutoMetadata(server).list(carol())
    assert sent(server) == USER_PROBE + [('POST', '/management/v1/users/9/metadata/_search', '2')]


@pytest.mark.parametrize('error_id', ['AUTHZ-cdgFk', 'QUERY-Dfbg2'])
def test_a_404_with_an_error_id_is_an_answer_of_the_route(error_id):
    server = FakeZitadel()
    server.faults.append(('POST', '/v2/users/9/metadata', zitadel_error(404, 5, error_id, 'not found', 'POST', '/v2/users/9/metadata')))
    api = AutoMetadata(server)
    with pytest.raises(ZitadelApiError) as info:
        api.set(carol(), {'a': b'1'})
    assert info.value.error_id == error_id and not info.value.is_routing_not_found
    api.list(User('7'))
    assert sent(server) == [('POST', '/v2/users/9/metadata', None), ('POST', '/v2/users/7/metadata/search', None)], \
        'no fall back, and the family is settled on v2'


def test_another_error_settles_the_family_too():
    server = FakeZitadel(routes=ALL_V2)
    server.fail[0] = zitadel_error(403, 7, 'AUTH-AWfge', 'No matching permissions found', 'POST', '/v2/organizations/2/metadata')
    api = AutoMetadata(server)
    with pytest.raises(ZitadelApiError, match='org.write'):
        api.set(Organisation('2'), {'a': b'1'})
    api.set(Organisation('2'), {'a': b'1'})
    assert [p for _m, p, _o in sent(server)] == ['/v2/organizations/2/metadata'] * 2


@pytest.mark.parametrize('error', [
    ZitadelRequestError('POST /v2/users/9/metadata/search failed after 4 attempt(s): could not connect.'),
    # a 5xx may come from a proxy in front of a route that does not exist
    api_error(503, 'POST', '/v2/users/9/metadata/search', {'code': 14, 'message': 'unavailable'}),
])
def test_a_transport_or_server_error_does_not_settle(error):
    """The next operation asks v2 again."""
    server = FakeZitadel(routes=SEARCH_ONLY)
    server.fail[0] = error
    api = AutoMetadata(server)
    with pytest.raises(type(error)):
        api.list(carol())
    assert api.list(carol()) == {}
    assert sent(server) == USER_PROBE * 2 + [('POST', '/management/v1/users/9/metadata/_search', '2')]


def test_a_list_hidden_by_permission_settles_the_family():
    server = FakeZitadel(routes=ALL_V2)
    server.put('user', '9', {'a': b'1'})
    server.hidden.add('9')
    api = AutoMetadata(server)
    with pytest.raises(ZitadelError, match='user.read'):
        api.list(carol())
    assert api._metadata['user']._settled  # pylint: disable=protected-access


def test_the_last_protocol_raises_its_routing_error_pointing_at_api_url():
    """Every API version was tried, so the message does not suggest another api_version."""
    server = FakeZitadel(routes=NO_V2)
    server.faults.append(('*', '/management/v1/*', routing_error('POST', '/management/v1/users/9/metadata/_search')))
    with pytest.raises(ZitadelApiError) as info:
        AutoMetadata(server).list(carol())
    assert info.value.is_routing_not_found
    assert str(info.value).endswith('(HTTP 404 for POST /management/v1/users/9/metadata/_search). '
                                    'Check that api_url is the root URL of the ZITADEL API.')
    assert len(server.requests) == 2


def test_a_failed_write_of_the_first_protocol_is_not_repeated_by_the_next():
    """A routing error answers before anything is written: the next protocol writes everything."""
    server = FakeZitadel(routes=NO_V2)
    AutoMetadata(server).set(carol(), {'a': b'1', 'b': b'2'})
    assert [p for _m, p, _o in sent(server)] == ['/v2/users/9/metadata', '/management/v1/users/9/metadata/_bulk']
    assert server.entries[('user', '9')] == {'a': b'1', 'b': b'2'}


# find_users, find_orgs and missing

@pytest.mark.parametrize('server_kind, expected', [
    ('a', [('POST', USERS_PATH, None)]),
    ('c', [('POST', USERS_PATH, None)]),
    ('d', [('POST', USERS_PATH, None), ('POST', V1_USERS, None)]),
])
def test_find_users_falls_back_on_its_own(server_kind, expected):
    server = FakeZitadel(routes=SERVERS[server_kind])
    api = AutoMetadata(server)
    alice = User(login_name='ALICE')
    assert api.find_users([alice]) == [] and (alice.user_id, alice.org_id) == ('7', OWN)
    assert sent(server) == expected
    bob = User(login_name='bob')
    assert api.find_users([bob]) == [] and bob.user_id == '8'
    assert sent(server)[len(expected):] == expected[-1:], 'settled'
    server.requests = []
    api.list(alice)
    metadata = ('POST', '/v2/users/7/metadata/search', None)
    assert sent(server) == ([metadata] if server_kind == 'a' else [metadata, ('POST', '/management/v1/users/7/metadata/_search', OWN)]), \
        'the user search settled nothing for user metadata'


def test_find_users_through_v1_searches_the_organisation_of_the_task():
    server = FakeZitadel(routes=NO_V2)
    carol_ = User(login_name='carol')
    assert AutoMetadata(server).find_users([carol_]) == [carol_], 'v1 searches the service account\'s own organisation'
    carol_in_two = User(login_name='carol', org_id='2')
    assert AutoMetadata(server).find_users([carol_in_two]) == [] and carol_in_two.user_id == '9'


@pytest.mark.parametrize('server_kind', ['a', 'b', 'c'])
def test_find_orgs_goes_through_v2(server_kind):
    server = FakeZitadel(routes=SERVERS[server_kind])
    own, globex = Organisation(), Organisation(org_name='globex')
    assert AutoMetadata(server).find_orgs([own, globex]) == []
    assert (own.org_id, globex.org_id) == (OWN, '2')
    assert sent(server) == [('GET', MY_ORG_PATH, None), ('POST', ORGS_PATH, None)]


def test_the_own_organisation_is_found_on_a_server_without_v2():
    server = FakeZitadel(routes=NO_V2)
    api = AutoMetadata(server)
    own = Organisation()
    assert api.find_orgs([own]) == [] and own.org_id == OWN
    api.set(own, {'a': b'1'})
    assert sent(server) == [('GET', MY_ORG_PATH, None), ('POST', '/v2/organizations/1/metadata', None),
                            ('POST', '/v2beta/organizations/1/metadata', None), ('POST', '/management/v1/metadata/a', OWN)]


def test_an_org_name_on_a_server_without_v2_fails_naming_the_route():
    server = FakeZitadel(routes=NO_V2)
    with pytest.raises(ZitadelApiError) as info:
        AutoMetadata(server).find_orgs([Organisation(org_name='ACME')])
    assert info.value.is_routing_not_found and 'POST %s' % ORGS_PATH in str(info.value)
    assert str(info.value).startswith('Could not find organisations by name on ') and 'ZITADEL has no such endpoint' in str(info.value)


@pytest.mark.parametrize('server_kind, expected', [
    ('a', [('POST', USERS_PATH, None)]),
    ('b', [('POST', USERS_PATH, None)]),
    ('c', [('POST', V1_USERS, '2')]),
])
def test_missing_users_are_asked_of_the_protocol_that_reads_their_metadata(server_kind, expected):
    server = FakeZitadel(routes=SERVERS[server_kind])
    api = AutoMetadata(server)
    api.list(carol())
    server.requests = []
    nobody = User('404', org_id='2')
    assert api.missing([carol(), nobody]) == [nobody]
    assert sent(server) == expected
    query = server.requests[0][2]['queries']
    assert query == [{'inUserIdsQuery': {'userIds': ['9', '404']}}]


@pytest.mark.parametrize('server_kind, expected', [
    ('a', [('POST', ORGS_PATH, None)]),
    ('b', [('POST', ORGS_PATH, None)]),
    ('c', []),  # v1 answers an error for an organisation it cannot reach: none is ever missing
])
def test_missing_organisations_are_asked_of_the_protocol_that_reads_their_metadata(server_kind, expected):
    server = FakeZitadel(routes=SERVERS[server_kind])
    api = AutoMetadata(server)
    api.list(Organisation('2'))
    server.requests = []
    nope = Organisation('404')
    assert api.missing([Organisation('2'), nope]) == ([nope] if expected else [])
    assert sent(server) == expected


def test_missing_users_and_organisations_together():
    server = FakeZitadel(routes=ALL_V2)
    api = AutoMetadata(server)
    nobody, nope = User('404'), Organisation('404')
    assert api.missing([Organisation('2'), nobody, User('7'), nope]) == [nobody, nope]
    assert [p for _m, p, _o in sent(server)] == [USERS_PATH, ORGS_PATH]


def test_missing_before_any_list_does_not_settle_the_metadata_family():
    server = FakeZitadel(routes=SEARCH_ONLY)
    api = AutoMetadata(server)
    assert api.missing([carol()]) == []
    assert api.list(carol()) == {}


# a whole task

def jobs():
    return [declare(owner=user(login_name='alice'), codec=TEXT, state='present', metadata={'team': 'a'}),
            declare(owner=user('8'), codec=TEXT, state='present', metadata={'team': 'b'}),
            declare(owner=user('9', org_id='2'), codec=TEXT, state='present', metadata={'team': 'c', 'x/y': 'd'}),
            declare(owner=Organisation('2'), codec=TEXT, state='present', metadata={'tier': 'gold'}),
            declare(owner=Organisation('3'), codec=TEXT, state='present', metadata={'tier': 'silver'})]


@pytest.mark.parametrize('server_kind, probes', [('a', 0), ('b', 1), ('c', 3), ('d', 4)])
def test_a_task_converges_on_every_server_with_one_probe_per_missing_family(server_kind, probes):
    server = FakeZitadel(routes=SERVERS[server_kind])
    server.put('user', '8', {'team': b'b', 'old': b'x'})
    reports = reconcile(api=AutoMetadata(server), jobs=jobs(), codec=TEXT, check_mode=False, masking=Masking(), purge=True, concurrency=4)
    assert [r['failed'] for r in reports] == [False] * 5, [r.get('msg') for r in reports]
    assert [r['changed'] for r in reports] == [True] * 5
    assert (reports[0]['user_id'], reports[0]['org_id']) == ('7', OWN)
    assert server.entries[('user', '7')] == {'team': b'a'} and server.entries[('user', '8')] == {'team': b'b'}
    assert server.entries[('user', '9')] == {'team': b'c', 'x/y': b'd'}
    assert server.entries[('org', '2')] == {'tier': b'gold'} and server.entries[('org', '3')] == {'tier': b'silver'}
    assert len(server.unrouted) == probes
    assert all(org_id is None for _m, path, _b, org_id, _q in server.requests if path.startswith('/v2'))


@pytest.mark.parametrize('server_kind', ['a', 'b', 'c', 'd'])
def test_read_confirms_owners_through_the_settled_protocol(server_kind):
    server = FakeZitadel(routes=SERVERS[server_kind])
    api = AutoMetadata(server)
    owners = [User('7'), User('404'), Organisation('2')]
    reports = read(api=api, owners=owners, codec=TEXT, masking=Masking())
    assert [r['failed'] for r in reports] == [False, True, False]
    assert 'ZITADEL does not show this user' in reports[1]['msg']
    paths = [p for _m, p, _o in sent(server)]
    assert (USERS_PATH in paths) == (server_kind in 'ab') and (V1_USERS in paths) == (server_kind in 'cd')
    assert (ORGS_PATH in paths) == (server_kind in 'ab'), 'v1 organisations are never missing: no search'
