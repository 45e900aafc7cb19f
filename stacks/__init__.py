"""Thin stacks that compose the constructs in `components`."""
