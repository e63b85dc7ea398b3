# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Connection options of every module; the argspec is CONNECTION_ARGSPEC in module_utils/_module.py.
    DOCUMENTATION = r'''
requirements:
  - Python >= 3.9
  - requests
options:
  api_url:
    description:
      - Root URL of the ZITADEL instance, for example V(https://my-instance.zitadel.cloud).
      - If not set, the value of the E(ZITADEL_API_URL) environment variable is used.
    type: str
    required: true
  org_id:
    description:
      - ID of the organisation. The organisation metadata modules act on it; for the user modules it is the users'
        organisation.
      - With the v1 API it is sent as the C(x-zitadel-orgid) header, and users are looked up inside it. The v2 API
        finds a user in any organisation, so there it only narrows the search of login names; it is never sent
        as a header, which v2 would check against every call.
      - If not set, the value of the E(ZITADEL_ORG_ID) environment variable is used; if that is not set either,
        the organisation of the service account is meant.
    type: str
  validate_certs:
    description:
      - Verify the TLS certificate of O(api_url).
      - Setting this to V(false) is unsafe and meant for tests only; prefer O(ca_path) for private CAs.
      - If not set, the value of the E(ZITADEL_VALIDATE_CERTS) environment variable is used.
    type: bool
    default: true
  ca_path:
    description:
      - Path of a PEM file with the CA certificate(s) to trust for O(api_url) instead of the system store.
      - If not set, the value of the E(ZITADEL_CA_PATH) environment variable is used.
    type: path
  timeout:
    description:
      - Seconds to wait for each HTTP answer before the attempt counts as failed.
      - If not set, the value of the E(ZITADEL_TIMEOUT) environment variable is used.
    type: float
    default: 30
  retries:
    description:
      - How many times a request is retried after a connection error, a timeout, or HTTP 429, 500, 502, 503
        or 504, with exponential backoff and jitter; C(Retry-After) is honoured (up to 60 seconds).
      - A task therefore waits at most about (O(retries) + 1) x O(timeout) seconds plus the backoff for one request.
      - If not set, the value of the E(ZITADEL_RETRIES) environment variable is used.
    type: int
    default: 3
  api_version:
    description:
      - Which ZITADEL API serves the metadata.
      - V(v2) uses the v2 user and organisation services (ZITADEL v4.0 and later; organisation metadata v4.7 and
        later). V(v1) uses the Management API v1, which every release serves and ZITADEL marks deprecated.
      - V(auto) sends each request to the v2 routes first and keeps to them when the server has them, at no extra
        cost. A server that lacks a route family answers its first request with "not found", which costs one
        request per task and missing family (user v2, organisation v2, organisation v2beta); the task then uses
        v2beta (organisations on ZITADEL v4.0 to v4.6), else v1.
      - With V(v2) and V(auto), an organisation given by neither O(org_id) nor a name is looked up once per task
        (v1 C(GET /management/v1/orgs/me)), since the v2 routes need its ID.
      - If not set, the value of the E(ZITADEL_API_VERSION) environment variable is used.
    type: str
    choices: [auto, v1, v2]
    default: auto
  http_agent:
    description:
      - The C(User-Agent) header of the requests.
      - If not set, the value of the E(ZITADEL_HTTP_AGENT) environment variable is used.
    type: str
    default: community.zitadel
'''

    # Where the lookup plugin also reads them: ansible.cfg section [zitadel] and variables ansible_zitadel_*, besides the
    # environment. The prefix keeps variables such as a module's zitadel_token from being taken by accident.
    PLUGINS = r'''
options:
  api_url:
    env:
      - name: ZITADEL_API_URL
    ini:
      - section: zitadel
        key: api_url
    vars:
      - name: ansible_zitadel_api_url
  org_id:
    env:
      - name: ZITADEL_ORG_ID
    ini:
      - section: zitadel
        key: org_id
    vars:
      - name: ansible_zitadel_org_id
  validate_certs:
    env:
      - name: ZITADEL_VALIDATE_CERTS
    ini:
      - section: zitadel
        key: validate_certs
    vars:
      - name: ansible_zitadel_validate_certs
  ca_path:
    env:
      - name: ZITADEL_CA_PATH
    ini:
      - section: zitadel
        key: ca_path
    vars:
      - name: ansible_zitadel_ca_path
  timeout:
    env:
      - name: ZITADEL_TIMEOUT
    ini:
      - section: zitadel
        key: timeout
    vars:
      - name: ansible_zitadel_timeout
  retries:
    env:
      - name: ZITADEL_RETRIES
    ini:
      - section: zitadel
        key: retries
    vars:
      - name: ansible_zitadel_retries
  api_version:
    env:
      - name: ZITADEL_API_VERSION
    ini:
      - section: zitadel
        key: api_version
    vars:
      - name: ansible_zitadel_api_version
  http_agent:
    env:
      - name: ZITADEL_HTTP_AGENT
    ini:
      - section: zitadel
        key: http_agent
    vars:
      - name: ansible_zitadel_http_agent
'''
