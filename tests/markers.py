"""Reading a recorded history's patch markers (the ids ``workflow.patched`` recorded)."""

from __future__ import annotations

import json

from temporalio.client import WorkflowHistory


def patch_markers(history: WorkflowHistory) -> list[str]:
    """The patch ids the run recorded, in order."""
    ids = []
    for e in history.events:
        if e.HasField("marker_recorded_event_attributes"):
            m = e.marker_recorded_event_attributes
            if m.marker_name == "core_patch":
                ids.append(json.loads(m.details["patch-data"].payloads[0].data)["id"])
    return ids
