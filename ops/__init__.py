"""Operations tooling: `python -m ops COMMAND --env NAME` (preflight, verify, drill, cost)."""
