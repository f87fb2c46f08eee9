"""What a contact workflow starts with (and carries across continue-as-new)."""

from __future__ import annotations

from pydantic import BaseModel

from desk.config import PolicyConfig


class ContactInput(BaseModel):
    contact_id: str
    policy: PolicyConfig
