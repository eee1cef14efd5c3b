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

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    manifest_strict = False

    def stored_name(self, name):
        try:
            return super().stored_name(name)
        except ValueError:  # not collected: no manifest entry and no file to hash
            return name
