# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json

import pytest
import requests

from ansible_collections.community.zitadel.plugins.module_utils._errors import (
    ErrorContext,
    PartialApplyError,
    ZitadelApiError,
    ZitadelAuthError,
    ZitadelConfigError,
    ZitadelError,
)


def response(status, body):
    resp = requests.Response()
    resp.status_code = status
    resp._content = body if isinstance(body, bytes) else json.dumps(body).encode()  # pylint: disable=protected-access
    return resp


@pytest.mark.parametrize('status, code, error_id, too_large', [
    (429, 8, None, True),
    (429, 'resource_exhausted', None, True),
    (429, 8, 'QUOTA-vjAy8', False),  # ZITADEL's own quota
    (429, None, None, False),
    (429, 13, None, False),
    (400, 8, None, False),
    (500, 8, None, False),
])
def test_is_message_too_large(status, code, error_id, too_large):
    assert ZitadelApiError(status, 'POST', '/p', code=code, error_id=error_id).is_message_too_large is too_large


def test_from_response_reads_the_grpc_gateway_body():
    body = {'code': 5, 'message': 'Metadata not found (META-ncnw3)', 'details': [{'@type': 'x'}, {'id': 'META-ncnw3', 'message': 'y'}]}
    error = ZitadelApiError.from_response(response(404, body), 'DELETE', '/k')
    assert (error.status, error.code, error.error_id, error.server_message) == (404, 5, 'META-ncnw3', 'Metadata not found (META-ncnw3)')
    assert error.facts() == {'status': 404, 'error_id': 'META-ncnw3', 'grpc_code': 5}
    assert str(error) == 'Request DELETE /k failed: ZITADEL answered HTTP 404, META-ncnw3, Metadata not found.'


@pytest.mark.parametrize('body', [b'<html>bad gateway</html>', b'', [1, 2], {'details': 'not a list'}, {'details': ['x', {}]}])
def test_from_response_tolerates_any_body(body):
    error = ZitadelApiError.from_response(response(502, body), 'GET', '/p')
    assert error.status == 502 and error.error_id is None and 'HTTP 502' in str(error)


def test_the_size_limit_message_suggests_splitting():
    error = ZitadelApiError.from_response(response(429, {'code': 8, 'message': 'grpc: received message larger than max (5 vs. 4)'}),
                                          'POST', '/p')
    assert error.is_message_too_large and 'message size limit of the ZITADEL API' in str(error) and 'Split the values' in str(error)


def test_with_context_keeps_the_details():
    error = ZitadelApiError(403, 'POST', '/p', code=7, error_id='AUTH-5mWD2', server_message='No permission (AUTH-5mWD2)')
    explained = error.with_context(ErrorContext('list metadata', 'organisation 5', 'org.read', 'organisation 5'))
    assert (explained.status, explained.code, explained.error_id) == (403, 7, 'AUTH-5mWD2')
    assert str(explained) == ('Could not list metadata on organisation 5: the credentials lack permission org.read in organisation 5 '
                              '(HTTP 403, AUTH-5mWD2, No permission). Grant the service account a role that includes org.read, '
                              'for example ORG_SETTINGS_MANAGER or ORG_OWNER_VIEWER.')


@pytest.mark.parametrize('status, code, error_id, reason', [
    (400, 9, 'COMMAND-uXHNj', 'the user does not exist (COMMAND-uXHNj). Check user_id.'),
    (404, 5, 'AUTHZ-cdgFk', "the credentials lack permission user.write in the user's organisation (HTTP 404, AUTHZ-cdgFk, "
                            'membership not found). Grant the service account a role that includes user.write, for example '
                            'ORG_USER_MANAGER or ORG_OWNER.'),
])
def test_a_user_reached_in_any_organisation_is_not_placed_in_one(status, code, error_id, reason):
    """Over v2 a user given without org_id may be in any organisation: the message names none (org_description None)."""
    error = ZitadelApiError(status, 'POST', '/p', code=code, error_id=error_id, server_message='%s (%s)' % (
        'User could not be found' if status == 400 else 'membership not found', error_id))
    explained = error.with_context(ErrorContext("set metadata key 'a'", 'user 7', 'user.write', None))
    assert str(explained) == "Could not set metadata key 'a' on user 7: " + reason


def test_partial_apply_error_names_what_was_written():
    cause = ZitadelApiError(503, 'DELETE', '/x')
    error = PartialApplyError(cause, 'set a, b')
    assert error.cause is cause and error.written == 'set a, b'
    assert str(error) == 'Request DELETE /x failed: ZITADEL answered HTTP 503. Already written before the failure: set a, b. ' \
                         'Run the task again to converge.'
    assert error.facts() == {'status': 503, 'error_id': None, 'grpc_code': None, 'written': 'set a, b'}


def test_partial_apply_error_merges_a_nested_one():
    cause = ZitadelApiError(503, 'DELETE', '/x')
    inner = PartialApplyError(cause, "removed keys 'a', 'b'")
    outer = PartialApplyError(inner, 'set c')
    assert outer.cause is cause and outer.written == "set c; removed keys 'a', 'b'"
    assert str(outer).count('Already written') == 1 and str(outer).startswith('Request DELETE /x failed')
    assert outer.facts()['written'] == "set c; removed keys 'a', 'b'" and outer.facts()['status'] == 503


def test_partial_apply_error_of_any_zitadel_error():
    error = PartialApplyError(ZitadelConfigError('x'), 'set a')
    assert error.facts() == {'written': 'set a'}


def test_errors_and_facts():
    assert ZitadelError('x').facts() == {}
    assert ZitadelAuthError('no', status=400, oauth_error='invalid_grant').facts() == {'status': 400, 'oauth_error': 'invalid_grant'}
    assert issubclass(ZitadelConfigError, ZitadelError) and issubclass(ZitadelApiError, ZitadelError)


@pytest.mark.parametrize('status, error_id, routing', [
    (404, None, True),  # the gateway has no such path
    (405, None, True),  # a known path, another method (since v2.55)
    (501, None, True),  # the same on older gateways
    (404, 'AUTHZ-cdgFk', False),  # a handler's 404 always carries an id
    (404, 'QUERY-Dfbg2', False),
    (404, 'META-2nnds', False),
    (405, 'X-1', False),
    (501, 'X-1', False),
    (400, None, False),
    (403, None, False),
    (500, None, False),
    (503, None, False),
])
def test_is_routing_not_found(status, error_id, routing):
    assert ZitadelApiError(status, 'POST', '/p', code=5, error_id=error_id).is_routing_not_found is routing


@pytest.mark.parametrize('status, body', [
    (404, {'code': 5, 'message': 'Not Found'}),
    (405, {'code': 12, 'message': 'Method Not Allowed'}),
    (501, {'code': 12, 'message': 'Method Not Allowed'}),
    (404, b'404 page not found'),
])
def test_routing_answers_of_the_gateway(status, body):
    error = ZitadelApiError.from_response(response(status, body), 'POST', '/v2/users/7/metadata/search')
    assert error.is_routing_not_found and error.error_id is None


def test_a_handlers_404_is_not_a_routing_answer():
    body = {'code': 5, 'message': 'membership not found (AUTHZ-cdgFk)', 'details': [{'id': 'AUTHZ-cdgFk', 'message': 'membership not found'}]}
    error = ZitadelApiError.from_response(response(404, body), 'POST', '/v2/users/7/metadata')
    assert not error.is_routing_not_found and 'no such endpoint' not in str(error)


HINT = 'Set api_version to auto.'


@pytest.mark.parametrize('status', [404, 405, 501])
def test_the_missing_route_hint_follows_the_routing_message(status):
    error = ZitadelApiError(status, 'POST', '/v2/users/7/metadata/search', code=5)
    explained = error.with_context(ErrorContext('list metadata', 'user 7', 'user.read', 'organisation 1', HINT))
    assert str(explained) == ('Could not list metadata on user 7: ZITADEL has no such endpoint (HTTP %d for POST /v2/users/7/metadata/search). '
                              'Check that api_url is the root URL of the ZITADEL API. Set api_version to auto.' % status)
    assert explained.context.missing_route_hint == HINT


def test_no_hint_without_one_or_without_context():
    error = ZitadelApiError(404, 'GET', '/p', code=5)
    assert str(error) == 'Request GET /p failed: ZITADEL has no such endpoint (HTTP 404 for GET /p). Check that api_url is the root URL of the ZITADEL API.'
    explained = error.with_context(ErrorContext('list metadata', 'user 7', 'user.read', 'organisation 1'))
    assert str(explained).endswith('Check that api_url is the root URL of the ZITADEL API.')
    assert ErrorContext('a', 't', 'p', 'o').missing_route_hint == ''


@pytest.mark.parametrize('status, error_id', [(404, 'AUTHZ-cdgFk'), (403, 'AUTH-AWfge'), (400, 'COMMAND-uXHNj'), (503, None), (429, None)])
def test_the_hint_belongs_to_routing_errors_only(status, error_id):
    error = ZitadelApiError(status, 'POST', '/p', code=8 if status == 429 else 5, error_id=error_id)
    explained = error.with_context(ErrorContext('list metadata', 'user 7', 'user.read', 'organisation 1', HINT))
    assert HINT not in str(explained)
