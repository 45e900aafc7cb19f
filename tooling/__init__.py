"""Tooling that builds the whole app: the synthesis used by tools and tests, the acknowledgement register,
the architecture diagram and the synth report check. Sits above the stacks; nothing below imports it."""
