# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Authentication options of every module; the argspec is AUTH_ARGSPEC in module_utils/_module.py.
    DOCUMENTATION = r'''
requirements:
  - PyJWT and cryptography, for O(jwt_profile_file) and O(jwt_profile_json)
options:
  token:
    description:
      - A personal access token of a ZITADEL service account (machine user), or an access token obtained elsewhere.
      - Exactly one authentication method must be given, O(token), O(jwt_profile_file), O(jwt_profile_json),
        or O(client_id) with O(client_secret). When the task gives none, the environment variables
        E(ZITADEL_TOKEN), E(ZITADEL_JWT_PROFILE_FILE), E(ZITADEL_JWT_PROFILE_JSON), or E(ZITADEL_CLIENT_ID) with
        E(ZITADEL_CLIENT_SECRET) are used, again exactly one method.
    type: str
  jwt_profile_file:
    description:
      - Path of the JSON key file of a service account, as ZITADEL creates it (C(type), C(keyId), C(key), C(userId)).
      - The module signs a JWT with it (RS256) and exchanges it at C(/oauth/v2/token) for an access token.
      - Needs the Python libraries C(PyJWT) and C(cryptography).
    type: path
  jwt_profile_json:
    description:
      - The content of a service account key file, as a JSON string or a dictionary.
      - Same as O(jwt_profile_file), for keys kept in a vault or a variable.
    type: raw
  client_id:
    description:
      - Client ID of a service account with a client secret; exchanged with O(client_secret) for an access token
        (OAuth client-credentials grant).
    type: str
  client_secret:
    description:
      - The client secret that belongs to O(client_id).
    type: str
notes:
  - The service account needs C(user.read) and C(user.write) (user metadata) or C(org.read) and C(org.write)
    (organisation metadata) in the organisation, for example through the ORG_USER_MANAGER or ORG_OWNER role.
  - Tokens, key contents and client secrets never appear in results, errors or logs.
'''

    # Where the lookup plugin also reads them: variables ansible_zitadel_*, and ansible.cfg section [zitadel] for what is
    # not a secret. The environment variables count as for the modules, only when no method is given otherwise: the
    # lookup passes select_auth() only the values that did not come from the environment.
    PLUGINS = r'''
options:
  token:
    env:
      - name: ZITADEL_TOKEN
    vars:
      - name: ansible_zitadel_token
  jwt_profile_file:
    env:
      - name: ZITADEL_JWT_PROFILE_FILE
    ini:
      - section: zitadel
        key: jwt_profile_file
    vars:
      - name: ansible_zitadel_jwt_profile_file
  jwt_profile_json:
    env:
      - name: ZITADEL_JWT_PROFILE_JSON
    vars:
      - name: ansible_zitadel_jwt_profile_json
  client_id:
    env:
      - name: ZITADEL_CLIENT_ID
    ini:
      - section: zitadel
        key: client_id
    vars:
      - name: ansible_zitadel_client_id
  client_secret:
    env:
      - name: ZITADEL_CLIENT_SECRET
    vars:
      - name: ansible_zitadel_client_secret
'''
