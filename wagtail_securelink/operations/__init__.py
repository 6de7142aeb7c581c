"""What an operator runs: retention, erasure, health."""
