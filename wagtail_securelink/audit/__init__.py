"""The audit trail (S15): access events and the hash chain sealed over them."""
