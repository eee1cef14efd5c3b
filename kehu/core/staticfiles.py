"""The static files storage of a running Kehu: hashed names and precompressed copies.

``kehu run`` (and a production deployment) collects the static files with WhiteNoise's
``CompressedManifestStaticFilesStorage``: every file gets a content hash in its name and gzip
(and Brotli, when installed) copies, so WhiteNoise serves it compressed and cacheable for a
year (a new version has a new name). Tests and ``KEHU_DEBUG`` use plain names (settings).

A file missing from the manifest (collected before an upgrade, a template naming a file that
does not exist) must not turn a page into a server error: its URL falls back to the plain
name, which WhiteNoise still serves from the apps' static directories.
"""

from __future__ import annotations

import os
from pathlib import Path

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    manifest_strict = False

    def stored_name(self, name):
        try:
            return super().stored_name(name)
        except ValueError:  # not collected: no manifest entry and no file to hash
            return name


STAMP = ".kehu-collected"


def _sources_digest() -> str:
    """What the collected copies were made from: every source file's path, size and change
    time (found the way collectstatic finds them), so an upgrade or an edited file shows."""
    import hashlib

    from django.contrib.staticfiles.finders import get_finders

    digest = hashlib.sha256()
    for finder in get_finders():
        for path, storage in finder.list([]):
            stat = os.stat(storage.path(path))
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def collect_static_if_changed() -> bool:
    """``collectstatic`` when the sources changed since the last collection, else nothing.

    Hashing and compressing every file (ECharts, the API docs' bundles …) takes half a minute
    of both cores; a restart with the same files should not wait for it. Returns whether it
    collected."""
    from django.conf import settings
    from django.core.management import call_command

    root = Path(settings.STATIC_ROOT)
    digest = _sources_digest()
    stamp = root / STAMP
    if (root / "staticfiles.json").exists() and stamp.exists() and stamp.read_text() == digest:
        return False
    call_command("collectstatic", interactive=False, verbosity=0)
    stamp.write_text(digest)
    return True
