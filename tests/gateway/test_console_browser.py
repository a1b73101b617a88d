"""The citizen's chat page and the agent console together in real headless Chromium (Debian's
/usr/bin/chromium via Playwright) against a real gateway server, the fake Rasa and the real search
index built from the knowledge base:

a citizen asks (the bot answers with a source) and clicks 转人工 → waiting, with the queue
position; an agent logs in, claims, sees the transcript, searches the index, inserts a citation
and replies; the citizen's page shows the reply live, without a reload, and again after one.
The pages run under their real Content-Security-Policy. axe-core (npm ``axe-core``, installed into
``var/axe`` at test time, never committed) checks the chat page, the login page and the console:
no serious or critical violations. Never skips: missing Chromium or npm fails with a message.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.app import create_app
from gateway.content.library import ContentLibrary
from gateway.settings import Settings
from gateway.store.database import create_db_engine, create_session_factory
from gateway.store.models import UnansweredQuestion
from search.backends.embedded import EmbeddedBackend
from tests.gateway.console_support import PASSWORD, SOURCE, add_user, built_kb_index, handoff_envelope
from tests.gateway.gateway_fakes import FakeRasa, LocalServer, envelope

pytestmark = [pytest.mark.browser]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
AXE_VERSION = "4.10.2"
AXE_DIR = PROJECT_ROOT / "var" / "axe"
AXE_JS = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
QUESTION = "辞职了能领失业金吗？"


def setup_module() -> None:
    """Browser tests never skip silently: `make test` installs Debian's chromium first."""
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing (make system-deps installs Debian's chromium)"


@pytest.fixture(scope="module")
def playwright_api() -> Any:
    try:
        import playwright.sync_api as api
    except ImportError:
        pytest.fail("playwright is not installed in .venv (requirements/app.lock has it)")
    return api


@pytest.fixture(scope="module")
def axe_js() -> Path:
    """axe-core's axe.min.js from the npm registry, cached in var/axe (not committed)."""
    if not AXE_JS.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is missing: the accessibility check installs axe-core with npm (make system-deps installs it)")
        result = subprocess.run(
            [npm, "install", "--prefix", str(AXE_DIR), "--no-audit", "--no-fund", f"axe-core@{AXE_VERSION}"],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=PROJECT_ROOT,
        )
        if result.returncode != 0 or not AXE_JS.exists():
            pytest.fail(f"npm install axe-core@{AXE_VERSION} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return AXE_JS


def _bot(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The fake bot: 转人工 hands off; anything else is answered with a cited source."""
    if body.get("message") == "/request_human":
        return [handoff_envelope(QUESTION)]
    return [
        envelope(
            "辞职后一般不能领取失业保险金；非因本人意愿中断就业的，可以按规定领取。",
            topic="consult_unemployment",
            sources=[SOURCE],
            buttons=[{"title": "转人工", "payload": "/request_human"}],
        )
    ]


@pytest.fixture
def gateway_url(settings: Settings, library: ContentLibrary) -> Iterator[str]:
    index = built_kb_index()
    app = create_app(
        settings.model_copy(update={"sse_poll_seconds": 0.3}),
        search_backend_factory=lambda: EmbeddedBackend(index),
        library_loader=lambda: library,
    )
    server = LocalServer(app, lifespan="on").start()
    engine = create_db_engine(settings.database_url)
    with create_session_factory(engine)() as db:
        add_user(db, "alice", "agent", password=PASSWORD)
        add_user(db, "rita", "reviewer", password=PASSWORD)
        for question in ("辞职了能领失业金吗", "辞职了还能领失业金吗？", "灵活就业怎么交社保"):
            db.add(UnansweredQuestion(question_masked=question, topic="consult_unemployment", reason="no_hit"))
        db.commit()
    engine.dispose()
    yield server.url
    server.stop()


@pytest.fixture
def browser(playwright_api: Any) -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def run_axe(page: Any, axe_js: Path, label: str) -> None:
    """Inject axe-core and fail on serious or critical violations (listed in the message)."""
    page.add_script_tag(path=str(axe_js))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]
    details = [
        f"{v['id']} ({v['impact']}): {v['help']} → " + "; ".join(n["target"][0] for n in v["nodes"][:5]) for v in bad
    ]
    assert not bad, f"axe-core on {label}:\n" + "\n".join(details)


def _no_csp_errors(messages: list[str]) -> None:
    blocked = [m for m in messages if "Content Security Policy" in m or "Refused to" in m]
    assert not blocked, blocked


def _login(page: Any, url: str, expect: Any, *, username: str = "alice", path: str = "/console") -> None:
    page.goto(url + path)
    expect(page).to_have_url(re.compile(rf"/console/login\?next={path}$"))
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(rf"{path}$"))


def test_citizen_to_agent_and_back_live(
    gateway_url: str, fake_rasa: FakeRasa, browser: Any, playwright_api: Any, axe_js: Path
) -> None:
    expect = playwright_api.expect
    fake_rasa.reply = _bot
    console_messages: list[str] = []

    citizen = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    citizen.on("console", lambda m: console_messages.append(m.text))
    citizen.goto(gateway_url + "/")
    citizen.get_by_label("您的问题").fill(QUESTION)
    citizen.get_by_label("您的问题").press("Enter")
    answer = citizen.locator(".message.bot").last
    expect(answer).to_contain_text("非因本人意愿中断就业")
    expect(answer.locator(".sources a")).to_have_text("中华人民共和国社会保险法 第四十五条")
    answer.get_by_role("button", name="转人工").click()
    status = citizen.get_by_role("status")
    expect(status).to_contain_text("正在为您转接人工客服")
    expect(status).to_contain_text("您是下一位")
    expect(citizen.locator("#messages")).to_have_attribute("aria-live", "polite")

    agent = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN").new_page()
    agent.on("console", lambda m: console_messages.append(m.text))
    _login(agent, gateway_url, expect)
    claim = agent.get_by_role("button", name=re.compile("^接入第1位"))
    expect(claim).to_be_visible(timeout=10_000)
    expect(agent.locator("#queue-body tr").first).to_contain_text("市民要求转人工")
    claim.click()
    transcript = agent.locator("#transcript")
    expect(transcript).to_contain_text(QUESTION)
    expect(transcript).to_contain_text("非因本人意愿中断就业")
    expect(agent.locator("#candidates")).to_contain_text("第四十五条")
    expect(status).to_contain_text("人工客服已接入", timeout=10_000)  # the citizen, live

    agent.get_by_label("关键词").fill("失业保险金 领取条件")
    agent.get_by_label("类型").select_option("policy")
    agent.get_by_role("button", name="检索").click()
    first_hit = agent.locator("#search-results .hit").first
    expect(first_hit).to_be_visible(timeout=15_000)
    cited = first_hit.locator(".title").inner_text()
    first_hit.get_by_role("button", name=re.compile("^插入引用")).click()
    reply_box = agent.get_by_label("回复内容")
    citation = reply_box.input_value()
    assert re.match(r"^「《[^》]+》第[一二三四五六七八九十百零]+条：.+」（原文：http://127\.0\.0\.1:\d+/policy/d[0-9a-f]+#第", citation), citation
    expect(agent.locator("#reply-sources")).to_contain_text(cited.split(" ")[0])
    reply_box.press("End")
    reply_box.type("根据上述规定，您需要满足三个条件。")
    agent.get_by_role("button", name="发送回复").click()
    expect(agent.locator("#console-notice")).to_contain_text("回复已发送")

    live = citizen.locator(".message.agent").last
    expect(live).to_contain_text("根据上述规定，您需要满足三个条件。", timeout=10_000)  # no reload
    expect(live).to_contain_text("原文：")
    expect(live.locator(".sources a")).to_have_count(1)
    expect(citizen.locator(".message.agent")).to_have_count(1)

    citizen.reload()
    expect(citizen.locator(".message.agent")).to_have_count(1)
    expect(citizen.get_by_role("status")).to_contain_text("人工客服已接入")
    agent.get_by_label("回复内容").fill("还有其他问题吗？")
    agent.get_by_role("button", name="发送回复").click()
    expect(citizen.locator(".message.agent").last).to_contain_text("还有其他问题吗？", timeout=10_000)
    expect(citizen.locator(".message.agent")).to_have_count(2)

    agent.get_by_label("处理结果备注（结束会话时必填）").fill("已解答失业金领取条件")
    agent.get_by_role("button", name="结束会话").click()
    expect(citizen.get_by_role("status")).to_contain_text("本次对话已结束", timeout=10_000)
    _no_csp_errors(console_messages)


def test_accessibility_of_chat_login_and_console(
    gateway_url: str, fake_rasa: FakeRasa, browser: Any, playwright_api: Any, axe_js: Path
) -> None:
    """axe-core needs its script injected, so these pages run with CSP bypassed (the flow test
    above runs them under the real policy)."""
    expect = playwright_api.expect
    fake_rasa.reply = _bot
    citizen = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", bypass_csp=True).new_page()
    citizen.goto(gateway_url + "/")
    run_axe(citizen, axe_js, "the empty chat page")
    citizen.get_by_label("您的问题").fill(QUESTION)
    citizen.get_by_role("button", name="发送").click()
    expect(citizen.locator(".message.bot .sources")).to_be_visible()
    citizen.locator(".message.bot").last.get_by_role("button", name="转人工").click()
    expect(citizen.get_by_role("status")).to_contain_text("您是下一位")
    run_axe(citizen, axe_js, "the chat page with an answer, sources and the waiting status")

    toggle = citizen.get_by_role("button", name="大字模式")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(citizen.locator("html")).to_have_class(re.compile("large-text"))
    assert citizen.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)") >= 20
    citizen.reload()
    expect(citizen.locator("html")).to_have_class(re.compile("large-text"))  # remembered
    run_axe(citizen, axe_js, "the chat page in large-text mode")

    agent = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN", bypass_csp=True).new_page()
    agent.goto(gateway_url + "/console/login")
    run_axe(agent, axe_js, "the staff login page")
    _login(agent, gateway_url, expect)
    agent.get_by_role("button", name=re.compile("^接入第1位")).click()
    expect(agent.locator("#transcript")).to_contain_text(QUESTION)
    agent.get_by_label("关键词").fill("经济补偿")
    agent.get_by_label("包含已失效、已修订的文件").check()
    agent.get_by_role("button", name="检索").click()
    expect(agent.locator("#search-results .hit").first).to_be_visible(timeout=15_000)
    run_axe(agent, axe_js, "the console with a conversation and search results")

    reviewer = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="zh-CN", bypass_csp=True).new_page()
    _login(reviewer, gateway_url, expect, username="rita", path="/review")
    first_group = reviewer.locator("#groups-body tr").first
    expect(first_group).to_contain_text("辞职了能领失业金吗")
    expect(first_group.locator("td.times")).to_have_text("2")
    first_group.get_by_role("button", name=re.compile("^为“")).click()
    expect(reviewer.get_by_label("标准问题")).to_have_value("辞职了能领失业金吗")
    reviewer.get_by_label("解答").fill("每满一年支付两个月工资。")
    reviewer.get_by_label("引用条文（每行一条，如：劳动合同法第四十七条）").fill("劳动合同法第九百条")
    reviewer.get_by_role("button", name="保存草稿").click()
    problems = reviewer.get_by_role("alert")
    expect(problems).to_contain_text("引用的条文不存在：劳动合同法第九百条")
    run_axe(reviewer, axe_js, "the review page with validation problems")
