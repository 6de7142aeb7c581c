"""Rate limits per client network, per link and per address (S5, S6), in fixed windows."""
