"""The README's architecture diagram is what the app generates now."""

from __future__ import annotations

from compliance.diagram import BEGIN, END, README, render
from tests.conftest import Synthesized


def test_readme_diagram_is_current(dev: Synthesized) -> None:
    text = README.read_text()
    block = text[text.index(BEGIN) : text.index(END)]
    assert render(dev.documents) in block, "run `make diagram` and commit README.md"


def test_diagram_shows_the_four_stacks_and_the_traffic_path(dev: Synthesized) -> None:
    diagram = render(dev.documents)
    for stack in ("Security", "Network", "Compute", "Observability"):
        assert f'subgraph {stack}["{stack} stack"]' in diagram
    alb = f"Compute_{dev.logical_id(dev.stacks.compute.load_balancer.load_balancer)}"
    assert f"internet -->|HTTPS 443, HTTP 80 redirects| {alb}" in diagram
    assert f"-->|protects| {alb}" in diagram
