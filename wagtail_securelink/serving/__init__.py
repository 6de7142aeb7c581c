"""Serving what a link reaches: files, ranges, ZIPs, folder browsing, limits and headers."""
