"""View-only links: pages rendered on the server from untrusted files, with watermarks."""
