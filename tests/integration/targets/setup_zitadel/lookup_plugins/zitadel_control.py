# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: zitadel_control
short_description: Call the control API of the local ZITADEL-compatible server
description:
  - Sends one request to C(<url>/<path>) and returns the decoded JSON answer.
  - Runs on the controller, so that reading and clearing the request log around each step of a target costs no
    module run.
options:
  _terms:
    description: The path under the control URL, such as C(requests).
    required: true
  url:
    description: The control URL, C(zitadel_control_url) of integration_config.yml.
    type: str
    required: true
  method:
    description: The HTTP method.
    type: str
    default: GET
'''

import json

from ansible.errors import AnsibleLookupError
from ansible.module_utils.urls import open_url
from ansible.plugins.lookup import LookupBase


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        answers = []
        for path in terms:
            url = '%s/%s' % (self.get_option('url').rstrip('/'), path)
            try:
                with open_url(url, method=self.get_option('method'), timeout=30) as response:
                    answers.append(json.loads(response.read() or b'null'))
            except Exception as exc:  # any failure of the test server is the test's failure, with its URL
                raise AnsibleLookupError('%s %s failed: %s' % (self.get_option('method'), url, exc)) from exc
        return answers
