# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""api_version auto: the best protocol the server has, per route family, learnt from the task's own requests.

No probe is sent: the first request of a family goes to its newest routes, and only an answer that the
route does not exist (a routing 404 without a ZITADEL error id, never a missing user or key) moves the
family to the next protocol. So a server with v2 costs nothing extra, and each family the server lacks
costs one request per task, whatever the number of targets.
"""

from __future__ import annotations

import threading

from ansible_collections.community.zitadel.plugins.module_utils._errors import ZitadelApiError, ZitadelAuthError, ZitadelError, ZitadelRequestError
from ansible_collections.community.zitadel.plugins.module_utils._protocol import Target
from ansible_collections.community.zitadel.plugins.module_utils._v1 import V1Metadata
from ansible_collections.community.zitadel.plugins.module_utils._v2 import V2Metadata


class Negotiation:
    """The protocols one route family may use, newest first; the first that answers at all settles the family.

    Until then the family's operations run one at a time, so that concurrent workers share what the first
    one learns instead of each paying for it.
    """

    def __init__(self, protocols):
        self._protocols = list(protocols)
        self._settled = len(self._protocols) == 1
        self._lock = threading.Lock()

    @property
    def current(self):
        """The protocol the family uses now, settled or not."""
        return self._protocols[0]

    def run(self, operation):
        """operation(protocol) through the family's protocol."""
        if not self._settled:
            with self._lock:
                while not self._settled:
                    try:
                        result = operation(self._protocols[0])
                    except ZitadelApiError as err:
                        if err.is_routing_not_found and len(self._protocols) > 1:
                            self._protocols.pop(0)
                            continue
                        # A ZITADEL handler answered; a 5xx may come from a proxy in front of a missing route.
                        self._settled = err.status < 500
                        raise
                    except (ZitadelRequestError, ZitadelAuthError):
                        raise
                    except ZitadelError:
                        self._settled = True  # raised after an answer of the route
                        raise
                    self._settled = True
                    return result
        return operation(self._protocols[0])


class AutoMetadata:
    """The protocol interface over negotiated families: user metadata (v2, else v1), organisation metadata (v2, else
    v2beta, else v1) and the user search (v2 across organisations, else v1 in one organisation). Organisations are
    found by name through v2 only. Whether an owner exists is asked of the protocol that reads its metadata, whose
    view it must share."""

    own_org_default = False  # v2 is tried first; a message that leaves out the organisation is never wrong

    def __init__(self, client):
        self.client = client
        v1, v2 = V1Metadata(client), V2Metadata(client)
        v1.missing_route_hint = ''  # v1 is the last resort: when it lacks a route too, api_url is what is wrong
        self._metadata = {'user': Negotiation([v2, v1]), 'org': Negotiation([v2, V2Metadata(client, org_api='v2beta'), v1])}
        self._user_search = Negotiation([v2, v1])
        self._org_search = v2

    def target(self, owner):
        return Target(self, owner)

    def list(self, owner, keys=None, prefix=None):
        return self._metadata[owner.kind].run(lambda api: api.list(owner, keys=keys, prefix=prefix))

    def set(self, owner, entries):
        self._metadata[owner.kind].run(lambda api: api.set(owner, entries))

    def remove(self, owner, keys):
        self._metadata[owner.kind].run(lambda api: api.remove(owner, keys))

    def find_users(self, users):
        return self._user_search.run(lambda api: api.find_users(users))

    def find_orgs(self, orgs):
        return self._org_search.find_orgs(orgs)

    def missing(self, owners):
        """Asked of the protocol the family reads with; its searches are other routes, which say nothing of the family's."""
        missing = []
        for kind, family in self._metadata.items():
            group = [owner for owner in owners if owner.kind == kind]
            if group:
                missing.extend(family.current.missing(group))
        return missing
