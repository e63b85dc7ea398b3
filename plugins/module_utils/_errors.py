# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Typed errors of the ZITADEL client and their translation into messages a person understands.

Decisions branch on the HTTP status, the gRPC code and the ZITADEL error id, never on the
server's message: ZITADEL localises it. No error ever carries a credential.
"""

from __future__ import annotations

# gRPC codes used by ZITADEL (google.rpc.Code).
INVALID_ARGUMENT = 3
NOT_FOUND = 5
PERMISSION_DENIED = 7
RESOURCE_EXHAUSTED = 8
FAILED_PRECONDITION = 9
UNAUTHENTICATED = 16

USER_NOT_FOUND_IDS = frozenset(('COMMAND-uXHNj', 'COMMAND-4M0fs', 'QUERY-Dfbg2'))
ORG_NOT_FOUND_IDS = frozenset(('AUTH-Bs7Ds', 'COMMAND-QXPGs'))
# AUTHZ-cdgFk (v2, 404 "membership not found"): the service account has no role in the target's organisation.
PERMISSION_DENIED_IDS = frozenset(('AUTH-5mWD2', 'AUTHZ-HKJD33', 'AUTHZ-cdgFk'))
# Roles of ZITADEL's default mapping that grant each permission (the narrowest first).
ROLES_GRANTING = {
    'user.read': 'ORG_USER_MANAGER or ORG_OWNER_VIEWER',
    'user.write': 'ORG_USER_MANAGER or ORG_OWNER',
    'org.read': 'ORG_SETTINGS_MANAGER or ORG_OWNER_VIEWER',
    'org.write': 'ORG_SETTINGS_MANAGER or ORG_OWNER',
}


class ZitadelError(Exception):
    """Base class: str(error) is safe to show to the user."""

    def facts(self):
        """Structured, secret-free details for the task result."""
        return {}


class ZitadelConfigError(ZitadelError):
    """Invalid options or input, found before any request is sent."""


class ZitadelRequestError(ZitadelError):
    """The request got no HTTP answer: connection refused or dropped, timeout, TLS failure."""


class ZitadelAuthError(ZitadelError):
    """The token endpoint refused to issue an access token."""

    def __init__(self, message, status=None, oauth_error=None):
        super().__init__(message)
        self.status = status
        self.oauth_error = oauth_error

    def facts(self):
        return {'status': self.status, 'oauth_error': self.oauth_error}


class ZitadelApiError(ZitadelError):
    """ZITADEL answered with an HTTP error status."""

    def __init__(self, status, method, path, code=None, error_id=None, server_message=None, context=None):
        self.status = status
        self.method = method
        self.path = path
        self.code = code
        self.error_id = error_id
        self.server_message = server_message
        self.context = context
        super().__init__(self._message())

    @classmethod
    def from_response(cls, response, method, path):
        """Parse a grpc-gateway error body ({code, message, details:[{id}]}); tolerate any other body."""
        code = error_id = message = None
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            code = body.get('code')
            message = body.get('message')
            for detail in body.get('details') or ():
                if isinstance(detail, dict) and detail.get('id'):
                    error_id = detail['id']
                    break
        return cls(response.status_code, method, path, code=code, error_id=error_id, server_message=message)

    def with_context(self, context):
        """Return the same error, explained for a given operation (an ErrorContext)."""
        return ZitadelApiError(self.status, self.method, self.path, self.code, self.error_id, self.server_message, context)

    @property
    def is_message_too_large(self):
        """HTTP 429 from the gRPC message size limit (4 MiB) behind the REST gateway: code 8 without a ZITADEL id.

        ZITADEL's own 429s (quota, blocked instance) carry an id; retrying this one never helps.
        """
        return self.status == 429 and self.error_id is None and self.code in (RESOURCE_EXHAUSTED, 'resource_exhausted')

    @property
    def is_routing_not_found(self):
        """The gateway found no route: a 404 without a ZITADEL error id, not a missing object (a handler's 404 always
        carries one). Older gateways answer a known path with another method 501 (405 since v2.55), also without id."""
        return self.status in (404, 405, 501) and self.error_id is None

    def facts(self):
        return {'status': self.status, 'error_id': self.error_id, 'grpc_code': self.code}

    def _message(self):
        ctx = self.context
        what = 'Could not %s on %s' % (ctx.action, ctx.target) if ctx else 'Request %s %s failed' % (self.method, self.path)
        return '%s: %s' % (what, self._reason())

    def _reason(self):
        ctx = self.context
        org = ctx.org_description if ctx else 'the organisation'
        if self.error_id in USER_NOT_FOUND_IDS:
            if org is None:  # a user reached in any organisation
                return 'the user does not exist (%s). Check user_id.' % self.error_id
            return ('the user does not exist in %s (%s). Check user_id, and set org_id to the organisation '
                    'the user belongs to.' % (org, self.error_id))
        if self.error_id in ORG_NOT_FOUND_IDS:
            return 'the organisation does not exist (%s). Check org_id.' % self.error_id
        if self.status == 403 or self.error_id in PERMISSION_DENIED_IDS:
            permission = ctx.permission if ctx else 'the required permission'
            return ('the credentials lack permission %s in %s (%s). Grant the service account a role that includes '
                    '%s, for example %s.' % (permission, org or "the user's organisation", self._server_ref(), permission,
                                             ROLES_GRANTING.get(permission, 'ORG_OWNER')))
        if self.status == 401:
            return ('the credentials were rejected (%s). Check that the token or key is valid, not expired and '
                    'issued for this ZITADEL instance.' % self._server_ref())
        if self.is_message_too_large:
            return ('the request or its answer is larger than the message size limit of the ZITADEL API (%s). Split the '
                    'values over more tasks, or raise the gRPC message size limit of the ZITADEL installation.'
                    % self._server_ref())
        if self.is_routing_not_found:
            return ('ZITADEL has no such endpoint (HTTP %s for %s %s). Check that api_url is the root URL of the '
                    'ZITADEL API.%s' % (self.status, self.method, self.path, ' ' + ctx.missing_route_hint if ctx and ctx.missing_route_hint else ''))
        if self.status == 400 and self.code == INVALID_ARGUMENT:
            return 'ZITADEL rejected the request as invalid (%s).' % self._server_ref()
        return 'ZITADEL answered %s.' % self._server_ref()

    def _server_ref(self):
        parts = ['HTTP %s' % self.status]
        if self.error_id:
            parts.append(self.error_id)
        if self.server_message:
            suffix = ' (%s)' % self.error_id
            message = self.server_message
            parts.append(message[:-len(suffix)] if self.error_id and message.endswith(suffix) else message)
        return ', '.join(parts)


class ErrorContext:
    """What was being done, to which object, and which permission it needs."""

    def __init__(self, action, target, permission, org_description, missing_route_hint=''):
        self.action = action
        self.target = target
        self.permission = permission
        self.org_description = org_description
        self.missing_route_hint = missing_route_hint


class PartialApplyError(ZitadelError):
    """A write step failed after earlier steps of the same task were written."""

    def __init__(self, cause, written):
        if isinstance(cause, PartialApplyError):  # a write that itself took several requests
            cause, written = cause.cause, '%s; %s' % (written, cause.written)
        self.cause = cause
        self.written = written
        super().__init__('%s Already written before the failure: %s. Run the task again to converge.'
                         % (cause, written))

    def facts(self):
        facts = dict(self.cause.facts())
        facts['written'] = self.written
        return facts
