"""Email sender authentication from the receiving server's headers (ingest/email_auth.py).

The header values are real-world shapes found with the search tool; where each comes from
is said above it. Domains and addresses are as found unless the comment says otherwise.
"""

from __future__ import annotations

import pytest

from ingest.email_auth import (
    aligned,
    domain_of,
    email_sender_auth,
    parse_arc_authentication_results,
    parse_authentication_results,
    parse_received_spf,
    strip_comments,
)

# ---------------------------------------------------------------- real headers

# Gmail, a pass: the shape Gmail's "Show original" shows, as documented in
# peermesh/knowledge-graph-lab: docs/team/module-assignments/publishing-tools/handoffs/
# email-integration/VERIFY-AUTHENTICATION.md (the IP is redacted there as X.X.X.X).
GMAIL_PASS = (
    "mx.google.com;\n"
    "       spf=pass (google.com: domain of noreply@distributedcreatives.org designates "
    "X.X.X.X as permitted sender) smtp.mailfrom=noreply@distributedcreatives.org;\n"
    "       dkim=pass header.i=@distributedcreatives.org;\n"
    "       dmarc=pass (p=QUARANTINE sp=QUARANTINE dis=NONE) header.from=distributedcreatives.org"
)

# Gmail, a spoof: mail "From: qweiczhong@gmail.com" sent through Amazon SES, received by
# Gmail; from qianweicheng/hello-world: protocol/email/security/demo.md. DKIM and SPF pass,
# but for amazonses.com, so DMARC fails for gmail.com.
GMAIL_SPOOF_VIA_SES = (
    "mx.google.com;\n"
    "       dkim=pass header.i=@amazonses.com header.s=gdwg2y3kokkkj5a55z2ilkup5wp5hhxx "
    "header.b=FxxfSHRK;\n"
    "       spf=pass (google.com: domain of 0101016ffebba6b4-f270fd02-a80c-45bd-bf0b-"
    "419507e4e741-000000@us-west-2.amazonses.com designates 54.240.27.116 as permitted "
    "sender) smtp.mailfrom=0101016ffebba6b4-f270fd02-a80c-45bd-bf0b-419507e4e741-000000@"
    "us-west-2.amazonses.com;\n"
    "       dmarc=fail (p=NONE sp=QUARANTINE dis=NONE) header.from=gmail.com"
)

# Gmail, mail relayed by Mailgun for legionanalytics.com with a bounce subdomain; from a
# Gmail API message dump in a public repository's test data (found with the code search
# for "Authentication-Results" and "mx.google.com"). No DMARC result in it.
GMAIL_MAILGUN_SUBDOMAIN = (
    "mx.google.com;       spf=pass (google.com: domain of bounce+9a3794.f3c631-kylie="
    "legionanalytics.com@mg.legionanalytics.com designates 209.61.151.224 as permitted "
    "sender) smtp.mailfrom=bounce+9a3794.f3c631-kylie=legionanalytics.com@"
    "mg.legionanalytics.com;       dkim=pass header.i=@mg.legionanalytics.com"
)

# Yahoo (AOL's mailboxes run on Yahoo's platform): a Gmail user's message as received on
# 18 Dec 2021, from a raw RFC 822 message in a public IMAP example script (code search for
# "atlas201.aol.mail.gq1.yahoo.com"). Yahoo writes "dmarc=pass(p=...)" with no space before
# the comment.
YAHOO_PASS = (
    "atlas201.aol.mail.gq1.yahoo.com;\r\n dkim=pass header.i=@gmail.com header.s=20210112;"
    "\r\n spf=pass smtp.mailfrom=gmail.com;\r\n dmarc=pass(p=NONE,sp=QUARANTINE) "
    "header.from=gmail.com;"
)
YAHOO_RECEIVED_SPF = "pass (domain of gmail.com designates 209.85.219.48 as permitted sender)"

# Microsoft 365 writes no authserv-id in Authentication-Results; it puts one in its
# ARC-Authentication-Results. Both from a message of jbeulich@suse.com to xen-devel,
# 5 Apr 2022, in the public list archives mirrored as linux-mailinglist-archives/* (file
# "m"; code search for 'ARC-Authentication-Results: i=1; mx.microsoft.com 1').
M365_AR_SUSE = (
    "dkim=none (message not signed)\n header.d=none;dmarc=none action=none header.from=suse.com;"
)
M365_ARC_SUSE = (
    "i=1; mx.microsoft.com 1; spf=pass\n smtp.mailfrom=suse.com; dmarc=pass action=none "
    "header.from=suse.com;\n dkim=pass header.d=suse.com; arc=none"
)

# Microsoft 365, documented shapes: MicrosoftDocs/microsoft-365-docs,
# microsoft-365/security/office-365-security/message-headers-eop-mdo.md ("spf=pass (sender
# IP is 192.168.0.1) smtp.mailfrom=contoso.com", "dkim=pass (signature was verified)
# header.d=contoso.com", "dmarc=pass action=none header.from=contoso.com", the
# softfail syntax), and .../use-arc-exceptions-to-mark-trusted-arc-senders.md (the failing
# one, where compauth passed only on a trusted ARC sealer).
M365_PASS = (
    "spf=pass (sender IP is 192.168.0.1) smtp.mailfrom=contoso.com; dkim=pass (signature "
    "was verified) header.d=contoso.com;dmarc=pass action=none header.from=contoso.com;"
    "compauth=pass reason=100"
)
M365_FAIL_COMPAUTH_PASS = (
    "spf=fail (sender IP is 51.163.158.241)\nsmtp.mailfrom=contoso.com; dkim=fail (body hash "
    "did not verify)\nheader.d=contoso.com;dmarc=fail action=none\nheader.from=contoso.com;"
    "compauth=pass reason=130"
)

# Postmark's own SpamAssassin and SPF headers: X-Spam-Tests as in Postmark's inbound
# webhook example (../shared/vendors/inbound_email.md, PM1); Received-SPF in Postmark's
# format ("Pass (sender SPF authorized) identity=mailfrom; client-ip=...; helo=...;
# envelope-from=...") as in public Postmark webhook fixtures (code search for
# '"Received-SPF", "Value": "Pass'); the address is that fixture's.
POSTMARK_SPAM_TESTS = "DKIM_SIGNED,DKIM_VALID,DKIM_VALID_AU,SPF_PASS"
POSTMARK_RECEIVED_SPF = (
    "Pass (sender SPF authorized) identity=mailfrom; client-ip=192.0.2.1; "
    "helo=mail.customer.example; envelope-from=bounces@mail.customer.example;"
)

OURS = "inbound.desk.example"  # the receiving server's authserv-id, as configured


def ar(value: str) -> tuple[str, str]:
    return ("Authentication-Results", value)


def ours(results: str) -> tuple[str, str]:
    """An Authentication-Results stamped by our receiving server."""
    return ar(f"{OURS};\n {results}")


# ---------------------------------------------------------------- parsing


def test_comments_are_removed_nested_and_quoted() -> None:
    assert strip_comments('a (b (c) d) "e (f)" g (h \\) i)') == 'a "e (f)" g'
    assert strip_comments("dmarc=pass(p=NONE,sp=QUARANTINE) header.from=gmail.com") == (
        "dmarc=pass header.from=gmail.com"
    )


def test_parse_gmail() -> None:
    parsed = parse_authentication_results(GMAIL_PASS)
    assert parsed.authserv_id == "mx.google.com"
    assert [(r.method, r.result) for r in parsed.results] == [
        ("spf", "pass"),
        ("dkim", "pass"),
        ("dmarc", "pass"),
    ]
    assert parsed.of("dmarc")[0].props == {"header.from": "distributedcreatives.org"}
    assert parsed.of("spf")[0].props["smtp.mailfrom"] == "noreply@distributedcreatives.org"


def test_parse_microsoft_without_authserv_id() -> None:
    parsed = parse_authentication_results(M365_PASS)
    assert parsed.authserv_id is None
    assert [(r.method, r.result) for r in parsed.results] == [
        ("spf", "pass"),
        ("dkim", "pass"),
        ("dmarc", "pass"),
        ("compauth", "pass"),
    ]
    assert parsed.of("dkim")[0].props == {"header.d": "contoso.com"}


def test_parse_exchange_stray_parts_are_skipped() -> None:
    # X-MS-Exchange-Authentication-Results as Exchange wrote it for nvidia.com (same
    # archives): a bare "google.com;" between results.
    value = (
        "spf=pass (sender IP is 216.228.112.34)\n smtp.mailfrom=nvidia.com; google.com; "
        "dkim=none (message not signed)\n header.d=none;google.com; dmarc=pass action=none "
        "header.from=nvidia.com;"
    )
    parsed = parse_authentication_results(value)
    assert parsed.authserv_id is None
    assert [(r.method, r.result) for r in parsed.results] == [
        ("spf", "pass"),
        ("dkim", "none"),
        ("dmarc", "pass"),
    ]


def test_parse_arc_instance_and_authserv_id() -> None:
    instance, parsed = parse_arc_authentication_results(M365_ARC_SUSE)
    assert instance == 1
    assert parsed.authserv_id == "mx.microsoft.com"
    assert parsed.of("dkim")[0].props["header.d"] == "suse.com"


def test_parse_received_spf() -> None:
    result, props = parse_received_spf(POSTMARK_RECEIVED_SPF)
    assert result == "pass"
    assert props["envelope-from"] == "bounces@mail.customer.example"
    assert props["identity"] == "mailfrom"
    assert parse_received_spf(YAHOO_RECEIVED_SPF) == ("pass", {})


@pytest.mark.parametrize(
    ("value", "domain"),
    [
        ("Ann@Example.COM", "example.com"),
        ("@mg.example.com", "mg.example.com"),
        ("<bounce+a=b.example@mg.example.com>", "mg.example.com"),
        ("example.com.", "example.com"),
        ("", None),
        ("not a domain", None),
        ("a@", None),
    ],
)
def test_domain_of(value: str, domain: str | None) -> None:
    assert domain_of(value) == domain


@pytest.mark.parametrize(
    ("signer", "from_domain", "expected"),
    [
        ("example.com", "example.com", True),
        ("mg.example.com", "example.com", True),  # a bounce or signing subdomain
        ("example.com", "news.example.com", True),  # From on a subdomain
        ("evilexample.com", "example.com", False),  # a suffix, but not a subdomain
        ("example.com.evil.test", "example.com", False),
        ("com", "example.com", False),  # never on a single label
        ("com", "com", False),
        (None, "example.com", False),
    ],
)
def test_alignment(signer: str | None, from_domain: str, expected: bool) -> None:
    assert aligned(signer, from_domain) is expected


# ---------------------------------------------------------------- passes


def test_gmail_dmarc_pass_under_our_authserv_id() -> None:
    value = GMAIL_PASS.replace("mx.google.com", OURS, 1)
    auth = email_sender_auth([ar(value)], "noreply@distributedcreatives.org", authserv_id=OURS)
    assert auth.authenticated
    assert auth.method == "email_authentication"
    assert auth.detail.startswith("dmarc=pass header.from=distributedcreatives.org")


def test_gmail_when_gmail_is_the_receiving_server() -> None:
    auth = email_sender_auth(
        [ar(GMAIL_PASS)], "noreply@distributedcreatives.org", authserv_id="mx.google.com"
    )
    assert auth.authenticated


def test_yahoo_dmarc_pass_without_a_space_before_the_comment() -> None:
    headers = [("Received-SPF", YAHOO_RECEIVED_SPF), ar(YAHOO_PASS)]
    auth = email_sender_auth(
        headers, "pawlakdp@gmail.com", authserv_id="atlas201.aol.mail.gq1.yahoo.com"
    )
    assert auth.authenticated
    assert "dmarc=pass header.from=gmail.com" in auth.detail


def test_dkim_on_a_subdomain_is_aligned() -> None:
    auth = email_sender_auth(
        [ar(GMAIL_MAILGUN_SUBDOMAIN)], "kylie@legionanalytics.com", authserv_id="mx.google.com"
    )
    assert auth.authenticated
    assert auth.detail.startswith("dkim=pass header.d=mg.legionanalytics.com aligned")


def test_spf_alone_aligned_authenticates() -> None:
    auth = email_sender_auth(
        [ours("spf=pass (sender IP is 192.168.0.1) smtp.mailfrom=contoso.com; dkim=none")],
        "ann@contoso.com",
        authserv_id=OURS,
    )
    assert auth.authenticated
    assert auth.detail.startswith("spf=pass smtp.mailfrom=contoso.com aligned")


def test_microsoft_365_arc_results_of_the_receiving_server() -> None:
    headers = [("ARC-Authentication-Results", M365_ARC_SUSE), ar(M365_AR_SUSE)]
    auth = email_sender_auth(headers, "jbeulich@suse.com", authserv_id="mx.microsoft.com")
    assert auth.authenticated
    assert "ARC-Authentication-Results i=1 by mx.microsoft.com" in auth.detail


def test_postmark_spam_tests_dkim_valid_au() -> None:
    headers = [("X-Spam-Status", "No"), ("X-Spam-Tests", POSTMARK_SPAM_TESTS)]
    auth = email_sender_auth(headers, "support@postmarkapp.com")
    assert auth.authenticated
    assert "DKIM_VALID_AU" in auth.detail


def test_postmark_received_spf_aligned() -> None:
    auth = email_sender_auth([("Received-SPF", POSTMARK_RECEIVED_SPF)], "Salem@Customer.example")
    assert auth.authenticated
    assert auth.detail == (
        "spf=pass envelope-from=mail.customer.example aligned with From (Received-SPF)"
    )


def test_header_names_are_case_insensitive() -> None:
    auth = email_sender_auth([("x-spam-tests", "dkim_valid_au")], "a@example.com")
    assert auth.authenticated


# ---------------------------------------------------------------- failures


def test_spoof_dmarc_fail_with_misaligned_dkim_and_spf() -> None:
    value = GMAIL_SPOOF_VIA_SES.replace("mx.google.com", OURS, 1)
    auth = email_sender_auth([ar(value)], "qweiczhong@gmail.com", authserv_id=OURS)
    assert not auth.authenticated
    assert auth.method == "none"
    assert "dmarc=fail header.from=gmail.com" in auth.detail


def test_misaligned_dkim_and_spf_without_dmarc() -> None:
    value = GMAIL_SPOOF_VIA_SES.replace("mx.google.com", OURS, 1).rsplit(";", 1)[0]
    auth = email_sender_auth([ar(value)], "qweiczhong@gmail.com", authserv_id=OURS)
    assert not auth.authenticated
    assert "dkim=pass header.i=amazonses.com" in auth.detail
    assert "spf=pass smtp.mailfrom=us-west-2.amazonses.com" in auth.detail
    assert "0101016ffebba6b4" not in auth.detail  # a mailbox's local part is never kept


def test_dmarc_fail_outweighs_everything_else() -> None:
    # Microsoft's own compauth passed (a trusted ARC sealer); the From domain's DMARC did
    # not, and Postmark's X-Spam-Tests cannot override it either.
    headers = [
        ("X-Spam-Tests", "DKIM_VALID_AU,SPF_PASS"),
        ("ARC-Authentication-Results", f"i=2; {OURS}; {M365_FAIL_COMPAUTH_PASS}"),
    ]
    auth = email_sender_auth(headers, "ceo@contoso.com", authserv_id=OURS)
    assert not auth.authenticated
    assert auth.detail.startswith("dmarc=fail")


@pytest.mark.parametrize(
    "results",
    [
        "dkim=fail (body hash did not verify) header.d=contoso.com",
        "dkim=permerror header.d=contoso.com",
        "spf=softfail (sender IP is 198.51.100.7) smtp.mailfrom=contoso.com",
        "spf=neutral smtp.mailfrom=contoso.com",
        "dmarc=bestguesspass action=none header.from=contoso.com",
        "dmarc=none action=none header.from=contoso.com",
        "dmarc=temperror header.from=contoso.com",
        "none",
    ],
)
def test_results_short_of_pass(results: str) -> None:
    auth = email_sender_auth([ours(results)], "ann@contoso.com", authserv_id=OURS)
    assert not auth.authenticated


def test_dmarc_pass_for_another_from_domain_is_ignored() -> None:
    auth = email_sender_auth(
        [ours("dmarc=pass header.from=attacker.example")], "ceo@contoso.com", authserv_id=OURS
    )
    assert not auth.authenticated
    assert "another From domain" in auth.detail


def test_lookalike_signing_domain() -> None:
    auth = email_sender_auth(
        [ours("dkim=pass header.d=evilcontoso.com; spf=pass smtp.mailfrom=contoso.com.evil.test")],
        "ceo@contoso.com",
        authserv_id=OURS,
    )
    assert not auth.authenticated


def test_only_the_topmost_authentication_results_counts() -> None:
    # Our server's verdict is on top; below it, one the sender wrote, naming our server.
    headers = [
        ours("spf=softfail smtp.mailfrom=contoso.com; dkim=none; dmarc=none"),
        ours("spf=pass smtp.mailfrom=contoso.com; dkim=pass header.d=contoso.com; dmarc=pass"),
    ]
    auth = email_sender_auth(headers, "ceo@contoso.com", authserv_id=OURS)
    assert not auth.authenticated


def test_authentication_results_of_another_host_is_not_believed() -> None:
    # A real Gmail pass, but the receiving server is ours: Gmail's verdict on top means the
    # sender wrote it (ours stamps its own) or it is from an earlier hop.
    auth = email_sender_auth([ar(GMAIL_PASS)], "noreply@distributedcreatives.org", authserv_id=OURS)
    assert not auth.authenticated
    assert "from mx.google.com, not inbound.desk.example" in auth.detail


def test_authentication_results_without_authserv_id_is_not_believed() -> None:
    auth = email_sender_auth([ar(M365_PASS)], "ann@contoso.com", authserv_id=OURS)
    assert not auth.authenticated
    assert "an unnamed host" in auth.detail


def test_no_authentication_results_believed_without_configuration() -> None:
    auth = email_sender_auth([ar(YAHOO_PASS)], "pawlakdp@gmail.com")
    assert not auth.authenticated
    assert "DESK_EMAIL_AUTHSERV_ID" in auth.detail


def test_arc_of_an_earlier_hop_is_not_believed() -> None:
    headers = [("ARC-Authentication-Results", M365_ARC_SUSE)]
    auth = email_sender_auth(headers, "jbeulich@suse.com", authserv_id=OURS)
    assert not auth.authenticated
    assert "not the receiving server's" in auth.detail


def test_only_the_latest_arc_instance_counts() -> None:
    headers = [
        ("ARC-Authentication-Results", f"i=2; {OURS}; spf=softfail smtp.mailfrom=suse.com"),
        ("ARC-Authentication-Results", M365_ARC_SUSE.replace("mx.microsoft.com 1", OURS)),
    ]
    auth = email_sender_auth(headers, "jbeulich@suse.com", authserv_id=OURS)
    assert not auth.authenticated


def test_spam_tests_without_dkim_valid_au() -> None:
    auth = email_sender_auth(
        [("X-Spam-Tests", "DKIM_SIGNED,DKIM_VALID,SPF_PASS")], "support@postmarkapp.com"
    )
    assert not auth.authenticated
    assert "DKIM_VALID" in auth.detail


def test_only_the_topmost_spam_tests_counts() -> None:
    headers = [
        ("X-Spam-Tests", "DKIM_SIGNED,SPF_SOFTFAIL"),
        ("X-Spam-Tests", "DKIM_VALID_AU"),  # the sender's own, below the receiver's
    ]
    assert not email_sender_auth(headers, "a@example.com").authenticated


@pytest.mark.parametrize(
    "value",
    [
        YAHOO_RECEIVED_SPF,  # no envelope-from: the domain is only in a comment
        "Pass (sender SPF authorized) identity=helo; helo=mail.customer.example; "
        "envelope-from=bounces@mail.customer.example;",
        "SoftFail (sender not authorized) identity=mailfrom; "
        "envelope-from=bounces@mail.customer.example;",
        "Pass (sender SPF authorized) identity=mailfrom; envelope-from=bounces@esp.example;",
    ],
)
def test_received_spf_short_of_an_aligned_pass(value: str) -> None:
    auth = email_sender_auth([("Received-SPF", value)], "salem@customer.example")
    assert not auth.authenticated


def test_no_headers_at_all() -> None:
    auth = email_sender_auth([], "ann@example.com", authserv_id=OURS)
    assert not auth.authenticated
    assert auth.detail == "no authentication results in the headers"


def test_from_without_a_domain() -> None:
    auth = email_sender_auth([("X-Spam-Tests", "DKIM_VALID_AU")], "ann", authserv_id=OURS)
    assert not auth.authenticated
