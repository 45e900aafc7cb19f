"""tooling/diagram.py: docs/ARCHITECTURE.md's diagram is what the default profile generates now."""

from __future__ import annotations

from settings.profiles import DEFAULT_PROFILE
from tests.support.synthesized import Synthesized
from tooling.blocks import block
from tooling.diagram import ARCHITECTURE, NAME, PROFILE, fenced, render


def test_architecture_diagram_is_current(dev: Synthesized) -> None:
    assert PROFILE == DEFAULT_PROFILE == dev.name
    assert block(ARCHITECTURE.read_text(), NAME) == fenced(dev.documents), "run `make diagram`"


def test_diagram_shows_the_four_stacks_and_the_traffic_path(each_profile: Synthesized) -> None:
    diagram = render(each_profile.documents)
    for stack in ("Security", "Network", "Compute", "Observability"):
        assert f'subgraph {stack}["{stack} stack"]' in diagram
    alb = f"Compute_{each_profile.logical_id(each_profile.stacks.compute.load_balancer.load_balancer)}"
    assert f"internet -->|HTTPS 443, HTTP 80 redirects| {alb}" in diagram
    assert f"-->|protects| {alb}" in diagram
