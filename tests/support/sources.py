"""The repository's test files as the docs name them: `path::test_name`, each file parsed once per session."""

from __future__ import annotations

import ast
import functools

from tests.support.synthesized import ROOT


@functools.cache
def functions_in(path: str) -> frozenset[str]:
    """The names of the functions defined in `path` (relative to the repository root); empty if it is missing."""
    source = ROOT / path
    if not source.is_file():
        return frozenset()
    return frozenset(node.name for node in ast.walk(ast.parse(source.read_text())) if isinstance(node, ast.FunctionDef))
