"""Secure links in Wagtail's API v3 (Wagtail 8 and later; see ``docs/api.md``).

``mount.mount_api`` adds our routers to Wagtail's API from ``AppConfig.ready()``. On
Wagtail 7.4, which has no API v3, nothing in this package is imported.
"""
