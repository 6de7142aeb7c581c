"""What an editor shares: links, recipients, people, access requests, uploads,
versions and private items.
"""
