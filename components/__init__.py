"""Reusable L3 constructs, one concept per file."""
