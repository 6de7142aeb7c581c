"""The editors' and administrators' pages in Wagtail's admin (SPEC §5)."""
