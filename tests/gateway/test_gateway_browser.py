"""The web chat page in a real headless Chromium against a real gateway server (uvicorn) and the
fake Rasa: typing, sources as citations, buttons, reload continuity, the waiting status.
Skipped when Chromium or Playwright is not installed."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.app import create_app
from gateway.content.library import ContentLibrary
from gateway.settings import Settings
from search.backends.embedded import EmbeddedBackend
from tests.gateway.gateway_fakes import FakeRasa, LocalServer, envelope

playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
pytestmark = [pytest.mark.browser]


def setup_module() -> None:
    """Browser tests never skip silently: `make test` installs Debian's chromium first."""
    assert CHROMIUM is not None, "Chromium is not installed (make system-deps installs it)"

SOURCE = {
    "kind": "policy",
    "title": "中华人民共和国社会保险法",
    "article": "第四十五条",
    "doc_number": "主席令第三十五号",
    "issuer": "全国人民代表大会常务委员会",
    "date": "2018-12-29",
    "validity": "现行有效",
    "region": "全国",
    "url": "/policy/d1",
}


@pytest.fixture
def gateway_url(settings: Settings, library: ContentLibrary, search_index: Path) -> Iterator[str]:
    app = create_app(
        settings, search_backend_factory=lambda: EmbeddedBackend(search_index), library_loader=lambda: library
    )
    server = LocalServer(app, lifespan="on").start()
    yield server.url
    server.stop()


@pytest.fixture
def page(gateway_url: str) -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
        page = context.new_page()
        page.goto(gateway_url + "/")
        yield page
        browser.close()


def test_ask_see_citation_click_button_reload(page: Any, fake_rasa: FakeRasa) -> None:
    buttons = [{"title": "领取期限", "payload": "/consult_unemployment"}]
    fake_rasa.reply = [
        envelope("同时符合三个条件可以领取。", topic="consult_unemployment", sources=[SOURCE], buttons=buttons)
    ]
    page.get_by_label("您的问题").fill("辞职了能领失业金吗？")
    page.get_by_label("您的问题").press("Enter")
    bot = page.locator(".message.bot").last
    playwright_api.expect(bot).to_contain_text("同时符合三个条件可以领取。")
    link = bot.locator(".sources a")
    playwright_api.expect(link).to_have_text("中华人民共和国社会保险法 第四十五条")
    assert link.get_attribute("href").startswith("/policy/d1#")
    playwright_api.expect(bot.locator(".sources")).to_contain_text("主席令第三十五号")
    playwright_api.expect(bot.locator(".badge-current")).to_have_text("现行有效")
    assert page.get_by_label("您的问题").input_value() == ""

    fake_rasa.reply = [envelope("一般最长24个月。", topic="consult_unemployment")]
    bot.get_by_role("button", name="领取期限").click()
    playwright_api.expect(page.locator(".message.bot").last).to_contain_text("一般最长24个月。")
    assert fake_rasa.received[-1]["message"] == "/consult_unemployment"
    playwright_api.expect(page.locator(".message.citizen").last).to_have_text("我领取期限")  # who-label + title

    page.reload()
    playwright_api.expect(page.locator(".message.citizen")).to_have_count(2)
    playwright_api.expect(page.locator(".message.bot").last).to_contain_text("一般最长24个月。")
    sessions = {r["sender"] for r in fake_rasa.received}
    assert len(sessions) == 1


def test_waiting_status_and_chinese_errors(page: Any, fake_rasa: FakeRasa) -> None:
    fake_rasa.reply = [
        envelope("正在为您转人工", event="handoff", topic="request_human", handoff={"reason": "request_human"})
    ]
    page.get_by_label("您的问题").fill("转人工")
    page.get_by_role("button", name="发送").click()
    playwright_api.expect(page.get_by_role("status")).to_contain_text("正在为您转接人工客服")
    page.get_by_label("您的问题").fill("   ")
    page.get_by_role("button", name="发送").click()
    playwright_api.expect(page.get_by_role("alert")).to_contain_text("请输入您要咨询的问题")
