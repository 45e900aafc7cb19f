"""A dataclass of boto3 clients built from one session, one field per service."""

from __future__ import annotations

from dataclasses import fields
from typing import Any, ClassVar, Self

import boto3


class ClientSet:
    """Subclasses are dataclasses whose fields name services; `SERVICES` maps a field to another client name.

    Fields are typed Any: the project does not install boto3 type stubs.
    """

    SERVICES: ClassVar[dict[str, str]] = {}

    @classmethod
    def from_session(cls, session: boto3.Session) -> Self:
        clients: dict[str, Any] = {
            field.name: session.client(cls.SERVICES.get(field.name, field.name))
            for field in fields(cls)  # type: ignore[arg-type]
        }
        return cls(**clients)
