"""What every text field is made safe to store, show and log as, at ingest.

- Control characters go: C0 and C1 controls, DEL, the bidirectional overrides and isolates
  that make text read other than it is, and lone surrogates. A message's text keeps its
  line breaks (``\\r\\n`` and ``\\r`` become ``\\n``) and tabs; a subject, a sender, an id or
  a name keeps neither (a subject's line breaks become spaces).
- Unreasonable lengths are cut, with a note saying so: a subject at 300 characters, a text
  at 20,000, an attachment's name at 255, and at most 20 attachments are kept. Ids and
  senders are never cut (a cut id would merge two messages): one over its limit is refused.
"""

from __future__ import annotations

import re
import unicodedata

SUBJECT_MAX = 300
TEXT_MAX = 20_000
NAME_MAX = 255
CONTENT_TYPE_MAX = 127
ATTACHMENTS_MAX = 20
ID_MAX = 512
SENDER_MAX = 320  # an email address: 64 + @ + 255
SCOPE_MAX = 256

# Bidirectional embeddings, overrides and isolates; the zero-width joiner and other format
# characters stay (emoji and many scripts need them).
_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_LINE_BREAKS = re.compile(r"\r\n?|[\u2028\u2029\x85]")
_SPACES = re.compile(r"[ \t]+")


def _keep(ch: str, allowed: str) -> bool:
    if ch in allowed:
        return True
    if ch in _BIDI:
        return False
    return unicodedata.category(ch) not in ("Cc", "Cs")


def clean_text(value: str) -> str:
    """A message body: control characters removed, line breaks and tabs kept."""
    value = _LINE_BREAKS.sub("\n", value)
    return "".join(ch for ch in value if _keep(ch, "\n\t"))


def clean_line(value: str) -> str:
    """One line (a subject, a name): line breaks and tabs become single spaces, other
    control characters are removed."""
    value = _LINE_BREAKS.sub(" ", value).replace("\n", " ").replace("\t", " ")
    kept = "".join(ch for ch in value if _keep(ch, ""))
    return _SPACES.sub(" ", kept).strip()


def clean_token(value: str) -> str:
    """An id or an identity: control characters and surrounding space removed."""
    return "".join(ch for ch in value if _keep(ch, " ")).strip()


def cut_subject(subject: str) -> str:
    if len(subject) <= SUBJECT_MAX:
        return subject
    note = " […]"
    return subject[: SUBJECT_MAX - len(note)].rstrip() + note


def cut_text(text: str) -> str:
    if len(text) <= TEXT_MAX:
        return text
    return text[:TEXT_MAX] + f"\n\n[cut at ingest: {len(text) - TEXT_MAX} more characters]"


def cut_name(name: str) -> str:
    return name if len(name) <= NAME_MAX else name[: NAME_MAX - 1] + "…"
