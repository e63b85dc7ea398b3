# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Local HTML files as a reader sees them, in headless Chromium: the docs site (tests/docsite) and the audit report
(tests/demo).

Playwright drives Debian's /usr/bin/chromium (it never downloads a browser of its own): it waits until a page is
rendered, reads the rendered DOM, takes full-page screenshots and reports every request a page makes. chromium's own
--dump-dom and --screenshot cannot report requests nor capture a whole page, and its DevTools protocol from the
standard library would need a WebSocket client of our own.
"""

from __future__ import annotations

import contextlib
import tempfile

from playwright.sync_api import sync_playwright

CHROMIUM = '/usr/bin/chromium'
CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
                  '--disable-component-update', '--disable-sync', '--no-first-run']
VIEWPORT = {'width': 1280, 'height': 900}
# The text of the matching elements that are rendered and visible, in one call to the browser.
VISIBLE_TEXTS = """elements => elements
    .filter(element => element.checkVisibility({visibilityProperty: true}) && element.getClientRects().length)
    .map(element => element.innerText)"""


@contextlib.contextmanager
def launch():
    """A headless Chromium with a fresh profile, closed at the end."""
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS, viewport=VIEWPORT)
        try:
            yield context
        finally:
            context.close()


class Page:
    """A local file opened in the browser and saved as a full-page screenshot; `requests` lists every URL it loaded,
    the file itself first."""

    def __init__(self, browser, path, screenshot):
        self.path = path
        self.requests = []
        self.page = browser.new_page()
        self.page.on('request', lambda request: self.requests.append(request.url))
        self.page.goto(path.as_uri(), wait_until='load')
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(screenshot), full_page=True)

    def texts(self, selector):
        """The rendered text of every visible element that matches."""
        return [text.strip() for text in self.page.eval_on_selector_all(selector, VISIBLE_TEXTS)]

    def close(self):
        self.page.close()
