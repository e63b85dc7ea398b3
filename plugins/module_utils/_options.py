# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Connection and auth options turned into a client and a metadata protocol, read through a getter so that modules and
plugins share it."""

from __future__ import annotations

import os

from ansible_collections.community.zitadel.plugins.module_utils._auth import AUTH_OPTION_NAMES, select_auth
from ansible_collections.community.zitadel.plugins.module_utils._auto import AutoMetadata
from ansible_collections.community.zitadel.plugins.module_utils._client import DEFAULT_POOL_SIZE, ZitadelClient
from ansible_collections.community.zitadel.plugins.module_utils._errors import ZitadelConfigError
from ansible_collections.community.zitadel.plugins.module_utils._v1 import V1Metadata
from ansible_collections.community.zitadel.plugins.module_utils._v2 import V2Metadata

PROTOCOLS = {'auto': AutoMetadata, 'v1': V1Metadata, 'v2': V2Metadata}


def client_from_options(get_option, environ=None, pool_size=DEFAULT_POOL_SIZE):
    """A client built from the options, validated offline; the first request is sent later.

    get_option(name) returns an option's value: a module's params.get, or a plugin's get_option. The
    connection options' environment variables are the caller's business (argspec fallbacks, plugin
    configuration); the auth environment variables are read here, and only when no auth option is set.
    """
    auth = select_auth({name: get_option(name) for name in AUTH_OPTION_NAMES}, os.environ if environ is None else environ)
    return ZitadelClient(get_option('api_url'), auth, validate_certs=get_option('validate_certs'), ca_path=get_option('ca_path'),
                         timeout=get_option('timeout'), retries=get_option('retries'), http_agent=get_option('http_agent'),
                         pool_size=pool_size)


def metadata_api(get_option, environ=None, concurrency=DEFAULT_POOL_SIZE):
    """The metadata protocol for the server and api_version the options name: the one factory modules and plugins call."""
    version = get_option('api_version') or 'auto'
    if version not in PROTOCOLS:
        raise ZitadelConfigError('api_version must be one of %s, not %r.' % (', '.join(PROTOCOLS), version))
    return PROTOCOLS[version](client_from_options(get_option, environ, pool_size=concurrency))
