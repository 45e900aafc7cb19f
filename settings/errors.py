"""The one error type a user mistake in configuration raises."""


class ConfigError(ValueError):
    """A setting has a value the app refuses; the message names the setting, the value and what is allowed."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))
