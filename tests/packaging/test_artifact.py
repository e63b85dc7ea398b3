# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection artifact carries the tracked files only, never credentials, logs or other local files of a working tree;
installed, it tells ansible-builder what an execution environment needs."""

from __future__ import annotations

import subprocess
import tarfile

import pytest
import yaml

from conftest import ROOT, copy_tracked_files, tool, tracked_files

SECRET = '-'.join(['S3cr3t', 'local', 'file', 'content'])  # joined, so that this file's own shipped source lacks it
# What a maintainer's tree may hold besides the tracked files: real credentials for the integration targets,
# keys, logs, caches, test output, environments and earlier artifacts.
LOCAL_FILES = [
    'tests/integration/integration_config.yml',
    '.build/integration-2.21/service-account-key.json',
    'tests/output/junit/results.xml',
    '.venv/pyvenv.cfg',
    'plugins/module_utils/__pycache__/_client.cpython-312.pyc',
    '.pytest_cache/v/cache/lastfailed',
    'community-zitadel-0.0.1.tar.gz',
    'changelogs/.plugin-cache.yaml',
    '.env',
    'ansible.log',
    'tests/integration/zitadel-key.json',
    'service-account.pem',
    '.ansible/collections/README',
    '.vscode/settings.json',
    '.coverage',
]


@pytest.fixture(scope='module')
def tarball(tmp_path_factory):
    """The artifact built from a copy of the tracked files with every LOCAL_FILES entry added."""
    tree = copy_tracked_files(tmp_path_factory.mktemp('tree'))
    for name in LOCAL_FILES:
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_text('token: %s\n' % SECRET)
    out = tmp_path_factory.mktemp('dist')
    subprocess.run([tool('ansible-galaxy'), 'collection', 'build', '--output-path', str(out)], cwd=tree, check=True, capture_output=True)
    (built,) = out.glob('community-zitadel-*.tar.gz')
    return built


@pytest.fixture(scope='module')
def artifact(tarball):
    """(names of the files in the tarball, tracked files, their contents)."""
    tracked = tracked_files()
    with tarfile.open(tarball) as archive:
        members = archive.getmembers()
        contents = b''.join(archive.extractfile(m).read() for m in members if m.isfile())
    return {m.name for m in members if m.isfile()}, tracked, contents


@pytest.mark.parametrize('name', LOCAL_FILES)
def test_a_local_file_never_ships(artifact, name):
    assert name not in artifact[0]


def test_only_tracked_files_ship(artifact):
    shipped, tracked, _contents = artifact
    assert shipped - set(tracked) == {'MANIFEST.json', 'FILES.json'}


def test_no_local_content_ships(artifact):
    assert SECRET.encode() not in artifact[2]


def test_the_collection_ships(artifact):
    shipped = artifact[0]
    assert {'plugins/modules/user_metadata.py', 'plugins/lookup/metadata.py', 'roles/metadata/tasks/main.yml', 'README.md',
            'meta/runtime.yml', 'changelogs/changelog.yaml'} <= shipped


def test_ansible_builder_finds_the_python_requirements(tarball, tmp_path):
    """meta/execution-environment.yml, read by ansible-builder from the installed collection, names requirements.txt."""
    subprocess.run([tool('ansible-galaxy'), 'collection', 'install', str(tarball), '-p', str(tmp_path)], check=True, capture_output=True)
    found = subprocess.run([tool('ansible-builder'), 'introspect', '--sanitize', str(tmp_path)], check=True, capture_output=True, text=True)
    wanted = [line.split('#')[0].strip() for line in (ROOT / 'requirements.txt').read_text().splitlines() if line.split('#')[0].strip()]
    assert yaml.safe_load(found.stdout) == {'python': ['%s  # from collection community.zitadel' % line for line in wanted], 'system': []}
