"""A small module that plugs into Kehu through its ``apps.py`` alone (installed in tests only).

It proves docs/architecture.md's "how to add a module" checklist: one owned model with a
FilterSet, form, serializer and viewset, registered from ``AppConfig.ready``, and nothing edited
in settings.py, urls.py, api_urls.py, the navigation or the default roles. The generic test
cases and the data-permission matrix pick it up by themselves (``tests/test_plugin_app.py``).
"""
