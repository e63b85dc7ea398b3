# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The docs site that hack/docsite/build.sh built, as a reader sees it in headless Chromium: the start page, the
collection index, every module, lookup and role and every guide, each saved as a full-page screenshot under
.build/docsite/screenshots/ (tests/chromium.py drives the browser).

The pages to open are found from plugins/, roles/ and docs/docsite/extra-docs.yml, and what each must show from
ansible-doc, so a new plugin, option or guide cannot be left out.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / 'tests'))
import chromium  # noqa: E402  pylint: disable=wrong-import-position

SITE = ROOT / '.build' / 'docsite' / 'html'
SCREENSHOTS = ROOT / '.build' / 'docsite' / 'screenshots'
COLLECTION = 'collections/community/zitadel'
LOCAL_SCHEMES = ('file', 'data')
REPOSITORY_FILES = '%s/blob/main/' % yaml.safe_load((ROOT / 'galaxy.yml').read_text())['repository']
GUIDE_SOURCES = ROOT / 'docs' / 'docsite' / 'rst'
# Pictures that a guide must show, besides any other its source names.
PICTURES = {'audit': 'audit-report.png'}
# The link icon the theme shows after a heading or an environment variable.
HEADERLINK = re.compile('[\uf0c1\N{PILCROW SIGN}]$')

MODULES = sorted(path.stem for path in (ROOT / 'plugins' / 'modules').glob('*.py') if not path.name.startswith('_'))
LOOKUPS = sorted(path.stem for path in (ROOT / 'plugins' / 'lookup').glob('*.py') if not path.name.startswith('_'))
PLUGINS = [('module', name) for name in MODULES] + [('lookup', name) for name in LOOKUPS]
ROLES = sorted(path.parent.parent.name for path in (ROOT / 'roles').glob('*/meta/argument_specs.yml'))
GUIDES = [entry if isinstance(entry, str) else entry['ref']
          for section in yaml.safe_load((ROOT / 'docs' / 'docsite' / 'extra-docs.yml').read_text())['sections']
          for entry in section['toctree']]


@pytest.fixture(scope='session')
def docs():
    """ansible-doc's view of the collection: plugin type -> FQCN -> documentation."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / '.build' / 'collections'))
    dump = subprocess.run([str(ROOT / '.venv' / 'bin' / 'ansible-doc'), '--metadata-dump', '--no-fail-on-errors',
                           'community.zitadel'], env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(dump)['all']


@pytest.fixture(scope='session')
def browser():
    assert (SITE / 'index.html').is_file(), 'no docs site in %s: run make docsite' % SITE
    with chromium.launch() as context:
        yield context


class Page(chromium.Page):
    """A page of the site; the requests it made and its links are checked when it is closed."""

    def __init__(self, browser, path, screenshot):
        super().__init__(browser, SITE / path, SCREENSHOTS / ('%s.png' % screenshot))

    def texts(self, selector):
        return [HEADERLINK.sub('', text).strip() for text in super().texts(selector)]

    def heading(self):
        return self.texts('h1')[0]

    def links(self, selector='a[href]'):
        """The files inside the site that the matching links lead to (without #fragment)."""
        hrefs = self.page.eval_on_selector_all(selector, 'links => links.map(link => link.href)')
        return {Path(unquote(urlsplit(href).path)) for href in hrefs if href.startswith('file:')}

    def check_local(self):
        """Nothing loaded from the network, and every link inside the site leads to a page that was built."""
        remote = [url for url in self.requests if urlsplit(url).scheme not in LOCAL_SCHEMES]
        assert not remote, '%s loaded from the network: %s' % (self.path, remote)
        missing = sorted(str(target) for target in self.links() if not target.is_file())
        assert not missing, '%s links to pages that were not built: %s' % (self.path, missing)
        self.close()


@pytest.fixture
def open_page(browser):
    pages = []

    def opener(path, screenshot):
        page = Page(browser, path, screenshot)
        pages.append(page)
        return page

    yield opener
    for page in pages:
        page.check_local()


def option_names(options, children):
    """Every option name, nested ones included, as the option tables list them."""
    names = []
    for name, spec in (options or {}).items():
        names.append(name)
        names.extend(option_names(spec.get(children), children))
    return sorted(names)


def plugin_page(kind, name):
    return '%s/%s_%s.html' % (COLLECTION, name, kind)


def test_start_page_leads_to_the_collection(open_page):
    page = open_page('index.html', 'index')
    assert page.heading() == 'community.zitadel'
    assert 'Index of all Collection Environment Variables' in page.texts('nav a')


def test_collection_index_lists_every_plugin_role_and_guide(open_page, docs):
    page = open_page('%s/index.html' % COLLECTION, 'collection-index')
    assert page.heading().startswith('Community.Zitadel')
    expected = [plugin_page(kind, name) for kind, name in PLUGINS] + ['%s/%s_role.html' % (COLLECTION, role) for role in ROLES]
    expected += ['%s/docsite/%s.html' % (COLLECTION, guide) for guide in GUIDES]
    assert {SITE / path for path in expected} <= page.links('div[role=main] a[href]')
    for kind, names in (('module', MODULES), ('lookup', LOOKUPS), ('role', ROLES)):
        assert sorted(names) == sorted(fqcn.split('.')[-1] for fqcn in docs[kind]), 'ansible-doc sees other %ss' % kind


@pytest.mark.parametrize('kind, name', PLUGINS, ids=['%s:%s' % plugin for plugin in PLUGINS])
def test_plugin_page_shows_options_examples_and_return_values(open_page, docs, kind, name):
    doc = docs[kind]['community.zitadel.%s' % name]
    page = open_page(plugin_page(kind, name), '%s-%s' % (kind, name))
    assert page.heading().startswith('community.zitadel.%s %s' % (name, kind))
    assert page.texts('#synopsis p')
    # The option tables: module parameters, or the lookup's terms (shown as "Terms") and keyword parameters.
    shown = page.texts(':is(#parameters, #terms, #keyword-parameters) .ansible-option-title')
    expected = ['Terms' if option == '_terms' else option for option in option_names(doc['doc']['options'], 'suboptions')]
    assert sorted(shown) == sorted(expected)
    examples = page.texts('#examples div.highlight pre')
    assert examples and all(('community.zitadel.%s' % name) in example for example in examples)
    if kind == 'module':
        returned = page.texts('#return-values .ansible-option-title')
        assert sorted(returned) == option_names(doc['return'], 'contains')
    else:
        assert page.texts('#return-value td')


@pytest.mark.parametrize('role', ROLES)
def test_role_page_shows_entry_point_options_and_examples(open_page, docs, role):
    spec = docs['role']['community.zitadel.%s' % role]['entry_points']
    page = open_page('%s/%s_role.html' % (COLLECTION, role), 'role-%s' % role)
    assert page.heading().startswith('community.zitadel.%s role' % role)
    for entry_point, entry in spec.items():
        section = 'section[id^="entry-point-%s-"]' % entry_point
        assert page.texts('%s h2' % section)[0].startswith('Entry point %s' % entry_point)
        assert sorted(page.texts('%s #parameters .ansible-option-title' % section)) == option_names(entry['options'], 'options')
        examples = page.texts('%s #examples div.highlight pre' % section)
        assert examples and all(('community.zitadel.%s' % role) in example for example in examples)


def test_environment_variable_index_lists_every_variable(open_page, docs):
    variables = sorted({env['name'] for kind in ('module', 'lookup') for plugin in docs[kind].values()
                        for option in plugin['doc']['options'].values() for env in option.get('env') or ()})
    assert 'ZITADEL_API_URL' in variables
    page = open_page('collections/environment_variables.html', 'environment-variables')
    assert sorted(page.texts('dl.envvar > dt')) == variables


def rst_headings(source):
    """Titles of an RST page in order: a text line over an underline of one punctuation character at least as long."""
    lines = source.splitlines()
    return [re.sub(r'``|`', '', text) for text, underline in zip(lines, lines[1:])
            if text.strip() and re.fullmatch(r'([=\-~^"])\1*', underline) and len(underline) >= len(text)]


@pytest.mark.parametrize('guide', GUIDES)
def test_guide_page_shows_every_section(open_page, guide):
    source = (GUIDE_SOURCES / ('%s.rst' % guide)).read_text()
    headings = rst_headings(source)
    page = open_page('%s/docsite/%s.html' % (COLLECTION, guide), 'guide-%s' % guide)
    shown = page.texts('div[role=main] :is(h1, h2, h3, h4)')
    assert shown == headings
    assert not page.texts('.problematic, .system-message')
    assert len(page.texts('div[role=main] div.highlight pre')) == source.count('.. code-block::')
    for block in page.texts('div[role=main] div.highlight-yaml pre'):  # as a reader would copy it
        yaml.safe_load(block)
    # Every picture the source names is shown: the browser decoded its file (a natural width of 0 means it did not).
    pictures = re.findall(r'^\.\. (?:image|figure):: (\S+)$', source, re.M)
    if guide in PICTURES:
        assert PICTURES[guide] in pictures
    shown = page.page.eval_on_selector_all('div[role=main] img', """images => images.map(image =>
        [image.src.split('/').pop(), image.naturalWidth > 0 && image.checkVisibility()])""")
    assert shown == [[name, True] for name in pictures]
    # Links to files of this repository, such as docs/reliability.md, lead to files that exist.
    hrefs = page.page.eval_on_selector_all('div[role=main] a[href]', 'links => links.map(link => link.href)')
    assert not [href for href in hrefs if href.startswith(REPOSITORY_FILES) and not (ROOT / href[len(REPOSITORY_FILES):]).is_file()]
