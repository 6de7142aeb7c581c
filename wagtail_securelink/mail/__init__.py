"""Every email: how it is built, the invitation, the notices to sharers, delivery."""
