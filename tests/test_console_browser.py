"""The supervisor console in a real headless browser (Chromium through Playwright): nobody
signed in sees anything; a supervisor signs in, finds the escalated contact in the queue,
opens it, approves it with a note, and watches another open page of it turn resolved by
itself; an agent whose role may not move the money sees the refusal.

The desk is real: Temporal's dev server, the worker on a sandbox shop with scenario
customers, the console on a free loopback port (tests/console_kit.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Page, expect

from desk.models import ContactState
from tests.browser import chromium
from tests.console_kit import KIM, OVER_LIMIT, PASSWORDS, SAM, ConsoleDesk, console_desk

REJECTED = "p3-over-limit-rejected"  # lost parcel, reship 260 + 10 shipping: over_limit
ESCALATED_QUERY = 'ContactState = "escalated" AND ExecutionStatus = "Running"'


@pytest.fixture(scope="module")
async def desk(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ConsoleDesk]:
    async with console_desk(tmp_path_factory.mktemp("console"), [OVER_LIMIT, REJECTED]) as d:
        for scenario in (OVER_LIMIT, REJECTED):
            contact = await d.send(scenario)
            await d.reaches(contact, ContactState.escalated)
            await d.listed(contact, ESCALATED_QUERY)
        yield d


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as b:
        yield b


async def sign_in(page: Page, desk: ConsoleDesk, who: str) -> None:
    await page.goto(desk.url + "/")
    await expect(page).to_have_url(desk.url + "/login?next=%2F")
    await page.get_by_label("Account").fill(who)
    await page.get_by_label("Password").fill(PASSWORDS[who])
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(desk.url + "/")


async def test_nobody_signed_in_sees_a_contact(desk: ConsoleDesk, browser: Browser) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    contact = desk.contacts[OVER_LIMIT]
    for path in ("/", f"/contacts/{contact}"):
        await page.goto(desk.url + path)
        await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        body = await page.content()
        # Nothing of the contact (the id appears only as the page asked for, to return to).
        for data in ("Olivia", "coffee maker", "229.00", "over_limit", "escalated"):
            assert data not in body, (path, data)
        if path == "/":
            assert contact not in body
    for path in ("/api/queue", f"/api/contacts/{contact}", "/events/queue"):
        answer = await page.request.get(desk.url + path)
        assert answer.status == 401, path
        assert contact not in await answer.text()
    # A wrong password signs nobody in.
    await page.get_by_label("Account").fill(KIM.id)
    await page.get_by_label("Password").fill("not-kims-password")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_have_text("Wrong account or password.")
    assert (await page.request.get(desk.url + "/api/queue")).status == 401
    await context.close()


async def test_a_supervisor_approves_and_watches_the_contact_resolve(
    desk: ConsoleDesk, browser: Browser
) -> None:
    contact = desk.contacts[OVER_LIMIT]
    context = await browser.new_context()
    page = await context.new_page()
    await sign_in(page, desk, KIM.id)
    await expect(page.get_by_text(f"{KIM.id} · manager, decides up to 5,000.00")).to_be_visible()

    row = page.locator("table.queue tr", has=page.get_by_role("link", name=contact))
    for shown in ("escalated", "over_limit", "standard", "632424", "229.00", "reship"):
        await expect(row).to_contain_text(shown)
    await row.get_by_role("link", name=contact).click()
    await expect(page).to_have_url(f"{desk.url}/contacts/{contact}")

    # What the supervisor decides on: the message, the scans, the rule and its facts.
    live = page.locator("#live")
    await expect(live).to_contain_text("received a drip coffee maker instead")
    await expect(live).to_contain_text("Olivia Chen")
    await expect(live).to_contain_text("Delivered, Left at front door")
    await expect(live).to_contain_text("Reship or refund rule")
    await expect(live).to_contain_text("auto_approve_limit")
    await expect(page.locator("#state")).to_have_text("escalated")

    # A second page of the same contact, left alone: it must turn resolved by itself.
    watcher = await context.new_page()
    await watcher.goto(f"{desk.url}/contacts/{contact}")
    await expect(watcher.locator("#state")).to_have_text("escalated")
    await expect(watcher.locator("#decide")).to_be_visible()

    await page.get_by_label("Note").fill("checked the photo: reship approved")
    await page.get_by_role("button", name="Approve").click()
    await expect(page.get_by_role("status")).to_contain_text("approve")
    await expect(page.locator("#state")).to_have_text("resolved", timeout=30_000)

    await expect(watcher.locator("#state")).to_have_text("resolved", timeout=30_000)
    await expect(watcher.locator("#live")).to_contain_text("checked the photo: reship approved")
    await expect(watcher.locator("#live")).to_contain_text(f"by {KIM.id}")
    await expect(watcher.locator("#decide")).to_be_hidden()
    assert await watcher.locator("#live").get_attribute("data-updated")

    snap = await desk.snapshot(contact)
    assert snap.decisions[-1].by == KIM.id and snap.decisions[-1].role == "manager"
    assert snap.replacement_orders
    # Decided, it has left the queue.
    await page.goto(desk.url + "/")
    await expect(page.get_by_role("link", name=contact)).to_have_count(0, timeout=15_000)
    await context.close()


async def test_a_decision_beyond_the_role_is_refused_on_the_page(
    desk: ConsoleDesk, browser: Browser
) -> None:
    contact = desk.contacts[REJECTED]
    context = await browser.new_context()
    page = await context.new_page()
    await sign_in(page, desk, SAM.id)
    await page.get_by_role("link", name=contact).click()
    await page.get_by_label("Note").fill("reship it")
    await page.get_by_role("button", name="Approve").click()
    refusal = page.get_by_role("alert")
    await expect(refusal).to_contain_text("Refused")
    await expect(refusal).to_contain_text(f"{SAM.id} (agent) may move at most 100.00")
    await expect(page.locator("#state")).to_have_text("escalated")
    snap = await desk.snapshot(contact)
    assert snap.state == ContactState.escalated and snap.decisions == []
    await context.close()


async def test_on_a_phone_the_pages_are_one_column(desk: ConsoleDesk, browser: Browser) -> None:
    context = await browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = await context.new_page()
    await sign_in(page, desk, KIM.id)
    contact = desk.contacts[REJECTED]
    await expect(page.get_by_role("link", name=contact)).to_be_visible()
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the queue scrolls sideways on a phone ({width}px)"
    await page.get_by_role("link", name=contact).click()
    await expect(page.get_by_role("button", name="Approve")).to_be_visible()
    for shown in (page,):
        width = await shown.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    decide = await page.locator("#decide").bounding_box()
    live = await page.locator("#live").bounding_box()
    assert decide and live and abs(decide["x"] - live["x"]) < 2  # stacked, not side by side
    await context.close()
