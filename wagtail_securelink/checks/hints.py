"""Where every check's hint points: the published documentation, never a file of the
repository (a pip user has no checkout)."""

__all__ = ["DOCS_URL", "docs_hint"]

DOCS_URL = "https://wagtail-securelink.readthedocs.io/en/latest/"


def docs_hint(page: str) -> str:
    return f"See {DOCS_URL}{page}"
