"""``kehu run`` collects the static files only when they changed since the last collection."""

from __future__ import annotations

from kehu.core.staticfiles import STAMP, collect_static_if_changed


def test_a_restart_with_the_same_files_does_not_collect_again(settings, tmp_path):
    settings.STATIC_ROOT = str(tmp_path / "static")
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    assert collect_static_if_changed() is True
    assert (tmp_path / "static" / "staticfiles.json").exists()
    assert collect_static_if_changed() is False  # same sources: nothing to do
    (tmp_path / "static" / STAMP).write_text("an older version's files")
    assert collect_static_if_changed() is True  # the sources differ from what was collected
    (tmp_path / "static" / "staticfiles.json").unlink()
    assert collect_static_if_changed() is True  # the collection itself is gone
