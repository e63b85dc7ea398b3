# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a maintainer and a user do with a clone: the README's build and install commands, and a release."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import PurePosixPath

import yaml

from conftest import ROOT, copy_tracked_files, tool, tracked_files

VERSION = yaml.safe_load((ROOT / 'galaxy.yml').read_text())['version']


def readme_block(after):
    """The commands of the first console block that follows the line `after` in README.md."""
    text = (ROOT / 'README.md').read_text()
    block = re.search(re.escape(after) + r'.*?```console\n(.*?)```', text, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_the_readme_build_and_install_commands_work_twice(tmp_path):
    tree = copy_tracked_files(tmp_path / 'clone')
    collections = tmp_path / 'collections'
    env = dict(os.environ, PATH='%s:%s' % (os.path.dirname(tool('ansible-galaxy')), os.environ['PATH']),
               ANSIBLE_COLLECTIONS_PATH=str(collections))
    commands = readme_block('From a clone of this repository')
    assert [c.split()[:3] for c in commands] == [['ansible-galaxy', 'collection', 'build'], ['ansible-galaxy', 'collection', 'install']]
    for attempt in (1, 2):
        for command in commands:
            run = subprocess.run(command, shell=True, cwd=tree, env=env, capture_output=True, text=True, check=False)
            assert run.returncode == 0, 'attempt %d of %r failed:\n%s%s' % (attempt, command, run.stdout, run.stderr)
    manifest = json.loads((collections / 'ansible_collections/community/zitadel/MANIFEST.json').read_text())
    assert manifest['collection_info']['version'] == VERSION


def test_a_release_writes_the_changelog(tmp_path):
    """The documented release step turns every fragment into CHANGELOG.rst, with the new plugins and roles."""
    tree = copy_tracked_files(tmp_path / 'clone')
    fragments = sorted(p.name for p in (tree / 'changelogs/fragments').iterdir())
    assert fragments
    subprocess.run([tool('antsibull-changelog'), 'release', '--version', VERSION, '--date', '2026-01-01'],
                   cwd=tree, check=True, capture_output=True, env=dict(os.environ, PATH='%s:%s' % (
                       os.path.dirname(tool('ansible-doc')), os.environ['PATH'])))
    changelog = (tree / 'CHANGELOG.rst').read_text()
    release_summary = yaml.safe_load((ROOT / 'changelogs/fragments/0.1.0.yml').read_text())['release_summary']
    assert ' '.join(release_summary.split())[:80] in ' '.join(changelog.split())
    new = {section: re.search(r'\n%s\n-+\n(.*?)(\n\S[^\n]*\n-{3,}\n|$)' % section, changelog, re.S).group(1)
           for section in ('New Modules', 'New Plugins', 'New Roles')}
    for kind, section in (('plugins/modules', 'New Modules'), ('plugins/lookup', 'New Plugins'), ('roles', 'New Roles')):
        names = sorted(p.stem for p in (ROOT / kind).iterdir() if not p.name.startswith('__'))
        assert names
        for name in names:
            assert '- community.zitadel.%s - ' % name in new[section]
    assert not list((tree / 'changelogs/fragments').glob('*.yml'))  # keep_fragments: false
    subprocess.run([tool('antsibull-changelog'), 'lint-changelog-yaml', 'changelogs/changelog.yaml'], cwd=tree, check=True)


def test_the_readme_links_work_on_galaxy():
    """Galaxy shows README.md away from the repository: every link is absolute, and each into the repository names a
    file or folder it holds."""
    text = (ROOT / 'README.md').read_text()
    links = re.findall(r'\]\(([^)\s]+)\)', text)
    assert links
    assert [link for link in links if not link.startswith('https://')] == []
    repository = yaml.safe_load((ROOT / 'galaxy.yml').read_text())['repository']
    tracked = set(tracked_files())
    folders = {str(PurePosixPath(name).parent) for name in tracked} | {
        str(parent) for name in tracked for parent in PurePosixPath(name).parents}
    for link in links:
        match = re.match(re.escape(repository) + r'/(blob|tree)/main/(.+)$', link)
        if match:
            kind, path = match.groups()
            released = kind == 'blob' and path == 'CHANGELOG.rst'  # written by the release step, before the artifact is built
            assert path in (tracked if kind == 'blob' else folders) or released, link
