# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import re

import pytest

from ansible_collections.community.zitadel.plugins.module_utils._errors import ZitadelConfigError
from ansible_collections.community.zitadel.plugins.module_utils._owners import (
    OWN_ORG,
    Organisation,
    User,
    check_distinct,
    named,
    org_items,
    organisation,
    user,
    user_items,
)


def fails(fragment):
    return pytest.raises(ZitadelConfigError, match='^' + re.escape(fragment))


def test_user_by_id():
    owner = user('7', org_id='1')
    assert (owner.kind, owner.user_id, owner.login_name, owner.org_id) == ('user', '7', None, '1')
    assert owner.name == 'user 7' and owner.description == 'user 7 in organisation 1'
    assert owner.org_description == 'organisation 1'
    assert owner.facts() == {'user_id': '7', 'org_id': '1'}
    assert (owner.read_permission, owner.write_permission) == ('user.read', 'user.write')


def test_user_by_login_name_is_named_by_it_then_by_both():
    owner = user(login_name='alice@acme.example')
    assert owner.name == 'user alice@acme.example' and owner.description == 'user alice@acme.example in %s' % OWN_ORG
    assert owner.facts() == {'user_id': None, 'org_id': None, 'login_name': 'alice@acme.example'}
    owner.resolve('7', '1')
    assert owner.name == 'user alice@acme.example (7)' and owner.description == 'user alice@acme.example (7) in organisation 1'
    assert owner.facts() == {'user_id': '7', 'org_id': '1', 'login_name': 'alice@acme.example'}


def test_resolve_keeps_a_given_organisation():
    owner = user(login_name='alice', org_id='1')
    owner.resolve('7', '2')
    assert (owner.user_id, owner.org_id) == ('7', '1')


def test_resolve_checks_the_organisation_from_the_answer():
    with fails('org_id holds'):
        user(login_name='alice').resolve('7', '1\n2')


@pytest.mark.parametrize('kwargs, message', [
    ({}, 'the task: give exactly one of user_id and login_name (neither is set, or it is empty).'),
    ({'user_id': '', 'login_name': ''}, 'the task: give exactly one of user_id and login_name (neither is set, or it is empty).'),
    ({'user_id': '7', 'login_name': 'alice'}, 'the task: give exactly one of user_id and login_name, not both.'),
])
def test_user_needs_exactly_one_name(kwargs, message):
    with fails(message):
        named('the task', user, kwargs.get('user_id'), kwargs.get('login_name'))


def test_named_prefixes_the_error_with_the_item():
    with fails('users[3] (alice): give exactly one'):
        named('users[3] (alice)', user, '7', 'alice')
    assert named('users[3] (alice)', user, '7').user_id == '7'


def test_org_id_is_checked_offline():
    with fails('org_id holds white space at its ends, a line break'):
        User('7', org_id='1\n2')
    with fails('org_id holds'):
        Organisation(' 1')


def test_organisation():
    org = Organisation('1')
    assert (org.kind, org.name, org.description, org.org_description) == ('org', 'organisation 1', 'organisation 1', 'organisation 1')
    assert org.facts() == {'org_id': '1'}
    assert (org.read_permission, org.write_permission) == ('org.read', 'org.write')
    own = Organisation()
    assert own.description == OWN_ORG == "the service account's own organisation" and own.facts() == {'org_id': None}


def test_user_items_in_order_with_their_names():
    items = [{'user_id': '7', 'metadata': {'a': '1'}}, {'login_name': 'alice'}, {'user_id': '8', 'org_id': '2'}]
    parsed = user_items(items, default_org_id='1')
    assert [where for _owner, _metadata, where in parsed] == ['users[0] (7)', 'users[1] (alice)', 'users[2] (8)']
    assert [metadata for _owner, metadata, _where in parsed] == [{'a': '1'}, None, None]
    assert [(o.user_id, o.login_name, o.org_id) for o, _m, _w in parsed] == [('7', None, '1'), (None, 'alice', '1'), ('8', None, '2')]


def test_user_items_without_a_default_org():
    [(owner, _metadata, _where)] = user_items([{'user_id': '7'}])
    assert owner.org_id is None and not owner.org_given


@pytest.mark.parametrize('items, message', [
    ('alice', 'users must be a list of dictionaries, not str.'),
    (None, 'users must be a list of dictionaries, not NoneType.'),
    ([{'user_id': '7'}, 'alice'], 'users[1] must be a dictionary with user_id, login_name, org_id, metadata, not str.'),
    ([{'user_id': '7', 'team': 'x', 'bogus': 1}],
     'users[0] (7): unknown option(s) bogus, team; an item takes user_id, login_name, org_id, metadata.'),
    ([{'user_id': 7}], 'users[0]: user_id must be a string, not int; quote IDs in YAML.'),
    ([{'login_name': 'alice', 'org_id': 300000000000000001}], 'users[0] (alice): org_id must be a string, not int; quote IDs in YAML.'),
    ([{'login_name': ['alice']}], 'users[0]: login_name must be a string, not list; quote IDs in YAML.'),
    ([{}], 'users[0]: give exactly one of user_id and login_name (neither is set, or it is empty).'),
    ([{'user_id': ''}], 'users[0]: give exactly one of user_id and login_name (neither is set, or it is empty).'),
    ([{'user_id': '7'}, {'user_id': '7', 'login_name': 'bob'}], 'users[1] (bob): give exactly one of user_id and login_name, not both.'),
    ([{'user_id': '7'}, {'login_name': 'a'}, {'user_id': '7'}], 'users[0] (7) and users[2] (7) name the same user; list each one once.'),
    ([{'login_name': 'Alice@Acme'}, {'login_name': 'alice@acme'}],
     'users[0] (Alice@Acme) and users[1] (alice@acme) name the same user; list each one once.'),
    ([{'user_id': '7', 'org_id': '1'}, {'user_id': '7', 'org_id': '2'}], 'users[0] (7) and users[1] (7) name the same user'),
])
def test_bad_user_items(items, message):
    with fails(message):
        user_items(items)


def test_user_items_without_metadata_reject_it():
    with fails('users[0] (7): unknown option(s) metadata; an item takes user_id, login_name, org_id.'):
        user_items([{'user_id': '7', 'metadata': {}}], with_metadata=False)
    assert user_items([{'user_id': '7'}], with_metadata=False)[0][1] is None


def test_a_bad_org_id_of_an_item_names_the_item():
    """Items fail with messages that name them; the org_id check is no exception."""
    with fails('users[1] (bob): org_id holds'):
        user_items([{'user_id': '7'}, {'login_name': 'bob', 'org_id': '1\n2'}])
    with fails('users[0] (7): org_id holds'):
        user_items([{'user_id': '7'}], default_org_id=' 1')


def test_org_items():
    parsed = org_items([{'org_id': '1', 'metadata': {'a': '1'}}, {'org_id': '2'}])
    assert [(o.org_id, m, w) for o, m, w in parsed] == [('1', {'a': '1'}, 'orgs[0] (1)'), ('2', None, 'orgs[1] (2)')]
    assert all(isinstance(o, Organisation) for o, _m, _w in parsed)


@pytest.mark.parametrize('items, with_metadata, message', [
    ({'org_id': '1'}, True, 'orgs must be a list of dictionaries, not dict.'),
    (['1'], True, 'orgs[0] must be a dictionary with org_id, org_name, metadata, not str.'),
    ([{}], True, 'orgs[0]: give exactly one of org_id and org_name, as a non-empty string; quote IDs in YAML.'),
    ([{'org_id': ''}], True, 'orgs[0]: give exactly one of org_id and org_name, as a non-empty string'),
    ([{'org_id': 1}], True, 'orgs[0]: give exactly one of org_id and org_name, as a non-empty string'),
    ([{'org_id': '1', 'user_id': '7'}], True, 'orgs[0] (1): unknown option(s) user_id; an item takes org_id, org_name, metadata.'),
    ([{'org_id': '1', 'metadata': {}}], False, 'orgs[0] (1): unknown option(s) metadata; an item takes org_id, org_name.'),
    ([{'org_id': '1'}, {'org_id': '2'}, {'org_id': '1'}], True,
     'orgs[0] (1) and orgs[2] (1) name the same organisation; list each one once.'),
])
def test_bad_org_items(items, with_metadata, message):
    with fails(message):
        org_items(items, with_metadata)


def test_a_bad_org_id_of_an_org_item_names_the_item():
    with pytest.raises(ZitadelConfigError) as info:
        org_items([{'org_id': '1'}, {'org_id': '1\n2'}])
    assert str(info.value).startswith('orgs[1]') and 'org_id holds' in str(info.value)


def test_check_distinct_after_login_names_were_resolved():
    alice, seven = user(login_name='alice'), user('7')
    alice.resolve('7', '1')
    with fails('users[0] (user alice (7)) and users[1] (user 7) name the same user; list each one once.'):
        check_distinct([alice, seven], 'users')
    bob, carol = user(login_name='bob'), user(login_name='carol')
    bob.resolve('8', '1')
    carol.resolve('8', '1')
    with fails('users[0] (user bob (8)) and users[1] (user carol (8)) name the same user'):
        check_distinct([bob, carol], 'users')


def test_check_distinct_accepts_different_users():
    alice = user(login_name='alice')
    alice.resolve('9', '1')
    check_distinct([alice, user('7'), user('8')], 'users')
    check_distinct([], 'users')


# organisations by name

def test_organisation_by_name_is_named_by_it_then_by_both():
    org = organisation(org_name='ACME')
    assert (org.org_id, org.org_name, org.own, org.found) == (None, 'ACME', False, False)
    assert org.name == org.description == org.org_description == 'organisation ACME'
    assert org.facts() == {'org_id': None, 'org_name': 'ACME'}
    org.resolve('5')
    assert (org.org_id, org.found) == ('5', True)
    assert org.description == 'organisation ACME (5)' and org.facts() == {'org_id': '5', 'org_name': 'ACME'}
    assert org.check_hint == 'Check org_id or org_name.'


def test_the_own_organisation_is_named_by_its_id_once_resolved():
    own = organisation()
    assert own.own and own.org_id is None and own.description == OWN_ORG
    own.resolve('1')
    assert own.own and own.description == "the service account's own organisation (1)" and own.facts() == {'org_id': '1'}
    assert not organisation('1').own and not organisation(org_name='x').own


def test_resolve_checks_the_organisation_id_from_the_answer():
    with fails('org_id holds'):
        organisation(org_name='ACME').resolve('5\n6')


@pytest.mark.parametrize('org_id, org_name, message', [
    ('1', 'ACME', 'give one of org_id and org_name, not both.'),
])
def test_organisation_takes_one_of_id_and_name(org_id, org_name, message):
    with fails(message):
        organisation(org_id, org_name)
    with fails('orgs[0] (ACME): ' + message):
        named('orgs[0] (ACME)', organisation, org_id, org_name)


@pytest.mark.parametrize('org_id, org_name', [(None, None), ('', ''), ('', None), (None, '')])
def test_an_organisation_without_id_or_name_is_the_own_one(org_id, org_name):
    org = organisation(org_id, org_name)
    assert org.own and org.org_id is None and org.org_name is None


def test_org_items_with_names():
    parsed = org_items([{'org_name': 'ACME', 'metadata': {'a': '1'}}, {'org_id': '2'}, {'org_name': 'Globex'}])
    assert [(o.org_id, o.org_name, o.own, m, w) for o, m, w in parsed] == [
        (None, 'ACME', False, {'a': '1'}, 'orgs[0] (ACME)'), ('2', None, False, None, 'orgs[1] (2)'), (None, 'Globex', False, None, 'orgs[2] (Globex)')]


@pytest.mark.parametrize('items, message', [
    ([{'org_id': '1', 'org_name': 'ACME'}], 'orgs[0] (ACME): give exactly one of org_id and org_name, as a non-empty string; quote IDs in YAML.'),
    ([{'org_name': ''}], 'orgs[0]: give exactly one of org_id and org_name, as a non-empty string'),
    ([{'org_name': None}], 'orgs[0]: give exactly one of org_id and org_name, as a non-empty string'),
    ([{'org_name': 5}], 'orgs[0]: give exactly one of org_id and org_name, as a non-empty string'),
    ([{'org_name': ['ACME']}], 'orgs[0]: give exactly one of org_id and org_name, as a non-empty string'),
    ([{'org_id': '', 'org_name': 'ACME'}], 'orgs[0] (ACME): give exactly one of org_id and org_name'),
    ([{'metadata': {'a': '1'}}], 'orgs[0]: give exactly one of org_id and org_name'),
    ([{'org_name': 'x', 'login_name': 'a'}], 'orgs[0] (x): unknown option(s) login_name; an item takes org_id, org_name, metadata.'),
])
def test_bad_org_items_with_names(items, message):
    with fails(message):
        org_items(items)


def test_duplicate_org_names_fail_ignoring_case():
    for items, first, second in (([{'org_name': 'ACME'}, {'org_name': 'acme'}], 'orgs[0] (ACME)', 'orgs[1] (acme)'),
                                 ([{'org_name': 'ACME'}, {'org_id': '2'}, {'org_name': 'ACME'}], 'orgs[0] (ACME)', 'orgs[2] (ACME)')):
        with fails('%s and %s name the same ' % (first, second)):
            org_items(items)


def test_duplicate_org_names_are_called_the_same_organisation():
    with fails('orgs[0] (ACME) and orgs[1] (acme) name the same organisation; list each one once.'):
        org_items([{'org_name': 'ACME'}, {'org_name': 'acme'}])


def test_an_org_name_and_an_id_are_told_apart_only_once_resolved():
    """The same text as an ID and as a name may be two organisations; check_distinct decides after the search."""
    parsed = org_items([{'org_name': '5'}, {'org_id': '5'}, {'org_name': 'acme'}, {'org_id': 'ACME'}])
    assert [o.org_name or o.org_id for o, _m, _w in parsed] == ['5', '5', 'acme', 'ACME']


def test_check_distinct_for_organisations():
    acme, five = organisation(org_name='ACME'), organisation('5')
    acme.resolve('5')
    with fails('orgs[0] (organisation ACME (5)) and orgs[1] (organisation 5) name the same organisation; list each one once.'):
        check_distinct([acme, five], 'orgs')
    acme2, globex = organisation(org_name='acme inc'), organisation(org_name='Globex')
    acme2.resolve('9')
    globex.resolve('9')
    with fails('orgs[0] (organisation acme inc (9)) and orgs[1] (organisation Globex (9)) name the same organisation'):
        check_distinct([acme2, globex], 'orgs')


def test_check_distinct_accepts_different_organisations():
    acme = organisation(org_name='ACME')
    acme.resolve('5')
    check_distinct([acme, organisation('6'), organisation('7')], 'orgs')


def test_check_distinct_names_the_option_of_users():
    alice, seven = user(login_name='alice'), user('7')
    alice.resolve('7', '1')
    with fails('members[0] (user alice (7)) and members[1] (user 7) name the same user'):
        check_distinct([alice, seven], 'members')
