"""The contact workflow package. ``from workflows.contact import ContactWorkflow``."""

from workflows.contact.workflow import ContactWorkflow

__all__ = ["ContactWorkflow"]
