"""The visitor's pages (SPEC §3, §4): every view under a link token."""
