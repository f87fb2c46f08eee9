"""Whether an inbound email's From address is authenticated, from the receiving mail
server's own verdicts in the message headers. Pure functions, no I/O.

Ingest reads these headers only from a webhook that itself authenticated (Postmark with
its HTTP Basic credentials); on any other request they are the sender's own words.

The sender is authenticated when the receiving server says one of:

- ``dmarc=pass`` for the From domain;
- ``dkim=pass`` with a signing domain (``header.d``, else ``header.i``) aligned with From;
- ``spf=pass`` with a MAIL FROM domain (``smtp.mailfrom``) aligned with From;

read from, in this order:

1. ``Authentication-Results`` (RFC 8601): only the topmost one, which the receiving server
   added last; and only when its authserv-id is the configured ``authserv_id``
   (``DESK_EMAIL_AUTHSERV_ID``). Without that setting no Authentication-Results counts: a
   receiving server that stamps none leaves the sender's own forged one on top, and a
   header without an authserv-id (Microsoft 365 writes them so) cannot be attributed.
2. ``ARC-Authentication-Results``: the one of the highest instance (``i=``), under the same
   condition: the receiving server's own results in ARC form. Results an earlier hop
   sealed are never believed (the ARC seal is not verified here).
3. SpamAssassin's ``X-Spam-Tests`` (topmost): ``DKIM_VALID_AU`` is a valid DKIM signature
   from the author's (From) domain. ``SPF_PASS`` alone says nothing about alignment and is
   only recorded.
4. ``Received-SPF`` (RFC 7208, topmost): ``pass`` for ``identity=mailfrom`` with an
   ``envelope-from`` aligned with From.

An explicit ``dmarc=fail`` from a believed Authentication-Results overrides everything:
the From domain's owner says the message is not theirs.

Alignment is relaxed and without the Public Suffix List: equal domains, or one a
subdomain of the other, never on a single-label domain (``com``). The result names what
decided it in ``SenderAuth.detail``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from desk.models import SenderAuth

METHOD = "email_authentication"


# ---------------------------------------------------------------- parsing


def strip_comments(value: str) -> str:
    """The header value without RFC 5322 comments (nested parentheses, quoted pairs),
    quoted strings kept as they are, folding whitespace made single spaces."""
    out: list[str] = []
    depth = 0
    quoted = False
    escaped = False
    for ch in value:
        if escaped:
            escaped = False
            if depth == 0:
                out.append(ch)
            continue
        if ch == "\\" and (quoted or depth):
            escaped = True
            if depth == 0:
                out.append(ch)
            continue
        if quoted:
            out.append(ch)
            if ch == '"':
                quoted = False
            continue
        if ch == "(":
            depth += 1
            out.append(" ")
            continue
        if ch == ")" and depth:
            depth -= 1
            continue
        if depth:
            continue
        if ch == '"':
            quoted = True
        out.append(ch)
    return re.sub(r"\s+", " ", "".join(out)).strip()


@dataclass(frozen=True)
class MethodResult:
    """One ``method=result prop=value ...`` of an Authentication-Results header."""

    method: str
    result: str
    props: dict[str, str] = field(default_factory=dict)

    def text(self) -> str:
        """``method=result`` and the domain it is about; never a mailbox's local part."""
        for key in _DOMAIN_PROPS.get(self.method, ()):
            domain = domain_of(self.props.get(key))
            if domain is not None:
                return f"{self.method}={self.result} {key}={domain}"
        return f"{self.method}={self.result}"


_DOMAIN_PROPS = {
    "dkim": ("header.d", "header.i"),
    "spf": ("smtp.mailfrom", "smtp.helo"),
    "dmarc": ("header.from",),
}


@dataclass(frozen=True)
class AuthResults:
    authserv_id: str | None
    results: tuple[MethodResult, ...]

    def of(self, method: str) -> list[MethodResult]:
        return [r for r in self.results if r.method == method]


_PAIR = re.compile(r"^([A-Za-z0-9._-]+)(?:/[0-9]+)?\s*=\s*(.*)$")


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    return value.strip().strip("<>").strip()


def _result(segment: str) -> MethodResult | None:
    tokens = segment.split()
    if not tokens:
        return None
    head = _PAIR.match(tokens[0])
    if head is None:
        return None
    method = head.group(1).lower()
    result = _unquote(head.group(2)).lower()
    rest = tokens[1:]
    if not result and rest:
        # "dkim= pass" after unfolding a line that broke at the '='.
        result, rest = rest[0].lower(), rest[1:]
    props: dict[str, str] = {}
    for token in rest:
        pair = _PAIR.match(token)
        if pair is not None:
            props.setdefault(pair.group(1).lower(), _unquote(pair.group(2)))
    return MethodResult(method, result, props)


def parse_authentication_results(value: str) -> AuthResults:
    """An ``Authentication-Results`` value: ``authserv-id [version]; method=result ...``.

    The authserv-id is optional in practice (Microsoft 365 omits it), so a first part that
    reads as ``method=result`` is a result. Parts that are neither (``; google.com;``, as
    Exchange sometimes writes) are skipped.
    """
    segments = [s.strip() for s in strip_comments(value).split(";")]
    authserv_id: str | None = None
    if segments and segments[0] and "=" not in segments[0]:
        authserv_id = segments[0].split()[0].lower()
        segments = segments[1:]
    results = tuple(r for r in (_result(s) for s in segments) if r is not None and r.result)
    return AuthResults(authserv_id, results)


_ARC_INSTANCE = re.compile(r"^\s*i\s*=\s*(\d+)\s*;?", re.IGNORECASE)


def parse_arc_authentication_results(value: str) -> tuple[int, AuthResults]:
    """An ``ARC-Authentication-Results`` value: ``i=<n>; authserv-id; results``."""
    cleaned = strip_comments(value)
    match = _ARC_INSTANCE.match(cleaned)
    instance = int(match.group(1)) if match else 0
    rest = cleaned[match.end() :] if match else cleaned
    return instance, parse_authentication_results(rest)


def parse_received_spf(value: str) -> tuple[str, dict[str, str]]:
    """A ``Received-SPF`` value: ``result (comment) key=value; key=value; ...``."""
    cleaned = strip_comments(value)
    first, _, rest = cleaned.partition(" ")
    props: dict[str, str] = {}
    for part in re.split(r"[;\s]+", rest):
        pair = _PAIR.match(part)
        if pair is not None:
            props.setdefault(pair.group(1).lower(), _unquote(pair.group(2)))
    return first.strip(";").lower(), props


# ---------------------------------------------------------------- domains


def domain_of(address_or_domain: str | None) -> str | None:
    """The lower-case domain of an address (``a@b.example``), of ``@b.example`` (a DKIM
    ``header.i``), or the domain itself; None when there is none."""
    if not address_or_domain:
        return None
    text = address_or_domain.strip().strip("<>").strip()
    if "@" in text:
        text = text.rsplit("@", 1)[1]
    text = text.strip().rstrip(".").lower()
    if not text or not re.fullmatch(
        r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*", text
    ):
        return None
    return text


def aligned(authenticated_domain: str | None, from_domain: str | None) -> bool:
    """Relaxed alignment: the same domain, or one a subdomain of the other, never on a
    single-label domain."""
    if not authenticated_domain or not from_domain:
        return False
    if authenticated_domain == from_domain:
        return "." in from_domain
    shorter, longer = sorted((authenticated_domain, from_domain), key=len)
    return "." in shorter and longer.endswith("." + shorter)


# ---------------------------------------------------------------- the verdict


@dataclass
class _Verdict:
    decided: str | None = None  # the detail of what authenticated the sender
    vetoed: str | None = None  # an explicit DMARC failure
    notes: list[str] = field(default_factory=list)


def _headers(headers: Iterable[tuple[str, str]], name: str) -> list[str]:
    wanted = name.lower()
    return [value for key, value in headers if key.strip().lower() == wanted]


def _judge(results: AuthResults, from_domain: str, source: str, verdict: _Verdict) -> None:
    """Apply one believed set of results to the verdict."""
    for r in results.of("dmarc"):
        said = domain_of(r.props.get("header.from"))
        if said is not None and said != from_domain:
            verdict.notes.append(f"{source}: dmarc for another From domain ({said}) ignored")
            continue
        if r.result == "fail":
            verdict.vetoed = f"{r.text()} ({source})"
            return
        if r.result == "pass" and verdict.decided is None:
            verdict.decided = f"dmarc=pass header.from={from_domain} ({source})"
    if verdict.decided is not None:
        return
    for r in results.of("dkim"):
        signer = domain_of(r.props.get("header.d")) or domain_of(r.props.get("header.i"))
        if r.result == "pass" and aligned(signer, from_domain):
            verdict.decided = f"dkim=pass header.d={signer} aligned with From ({source})"
            return
    for r in results.of("spf"):
        mailfrom = domain_of(r.props.get("smtp.mailfrom"))
        if r.result == "pass" and aligned(mailfrom, from_domain):
            verdict.decided = f"spf=pass smtp.mailfrom={mailfrom} aligned with From ({source})"
            return
    summary = ", ".join(r.text() for r in results.results if r.method in ("dmarc", "dkim", "spf"))
    verdict.notes.append(f"{source}: {summary or 'no spf, dkim or dmarc result'}")


def email_sender_auth(
    headers: Sequence[tuple[str, str]], from_address: str, *, authserv_id: str | None = None
) -> SenderAuth:
    """How the From address of a message with these ``(name, value)`` headers, topmost
    first, is authenticated (see the module's docstring for the rules)."""
    from_domain = domain_of(from_address) if "@" in from_address else None
    if from_domain is None:
        return SenderAuth(method="none", detail="the From address has no domain")
    trusted = authserv_id.strip().lower() if authserv_id and authserv_id.strip() else None
    verdict = _Verdict()

    found = _headers(headers, "Authentication-Results")
    if found:
        top = parse_authentication_results(found[0])
        if trusted is None:
            verdict.notes.append(
                "Authentication-Results not believed: no receiving server's authserv-id "
                "configured (DESK_EMAIL_AUTHSERV_ID)"
            )
        elif top.authserv_id != trusted:
            verdict.notes.append(
                f"topmost Authentication-Results is from {top.authserv_id or 'an unnamed host'}"
                f", not {trusted}: not believed"
            )
        else:
            _judge(top, from_domain, f"Authentication-Results by {trusted}", verdict)

    if verdict.decided is None and verdict.vetoed is None:
        arc = [
            parse_arc_authentication_results(v)
            for v in _headers(headers, "ARC-Authentication-Results")
        ]
        if arc:
            instance, latest = max(arc, key=lambda pair: pair[0])
            if trusted is not None and latest.authserv_id == trusted:
                _judge(
                    latest,
                    from_domain,
                    f"ARC-Authentication-Results i={instance} by {trusted}",
                    verdict,
                )
            else:
                verdict.notes.append(
                    f"ARC-Authentication-Results i={instance} by "
                    f"{latest.authserv_id or 'an unnamed host'}: "
                    "not the receiving server's, not believed"
                )

    if verdict.vetoed is not None:
        return SenderAuth(method="none", detail=f"{verdict.vetoed}: the From domain disowns it")

    if verdict.decided is None:
        tests = _headers(headers, "X-Spam-Tests")
        if tests:
            names = {t.upper() for t in re.split(r"[,\s]+", tests[0]) if t}
            if "DKIM_VALID_AU" in names:
                verdict.decided = (
                    "X-Spam-Tests DKIM_VALID_AU: valid DKIM signature from the From domain"
                )
            else:
                seen = sorted(
                    names & {"DKIM_VALID", "DKIM_SIGNED", "SPF_PASS", "SPF_FAIL", "SPF_SOFTFAIL"}
                )
                verdict.notes.append(f"X-Spam-Tests: {', '.join(seen) or 'no DKIM_VALID_AU'}")

    if verdict.decided is None:
        spf_headers = _headers(headers, "Received-SPF")
        if spf_headers:
            result, props = parse_received_spf(spf_headers[0])
            identity = props.get("identity", "mailfrom").lower()
            mailfrom = domain_of(props.get("envelope-from") or props.get("smtp.mailfrom"))
            if result == "pass" and identity == "mailfrom" and aligned(mailfrom, from_domain):
                verdict.decided = (
                    f"spf=pass envelope-from={mailfrom} aligned with From (Received-SPF)"
                )
            else:
                verdict.notes.append(
                    f"Received-SPF: {result or 'no result'}"
                    + (f" envelope-from={mailfrom}" if mailfrom else " without envelope-from")
                    + ("" if identity == "mailfrom" else f" identity={identity}")
                )

    if verdict.decided is not None:
        return SenderAuth(method=METHOD, authenticated=True, detail=verdict.decided)
    detail = "; ".join(verdict.notes) or "no authentication results in the headers"
    return SenderAuth(method="none", detail=_cut(detail))


def _cut(text: str, limit: int = 500) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
