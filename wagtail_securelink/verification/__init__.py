"""Proving an address (SPEC §3): access to a link, code requests, codes, grants."""
