"""``GET/POST /wechat`` end to end (contract 6): requests signed — and in safe/compatible mode
encrypted — exactly as WeChat's server does it (wechatpy's crypto builds the envelope), a real
fake of WeChat's API server on 127.0.0.1 (``/cgi-bin/token``, ``/cgi-bin/message/custom/send``)
recording what it receives, and the fake Rasa REST server of the other gateway tests."""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import xmltodict
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session
from wechatpy.crypto import WeChatCrypto

from gateway.privacy import contains_pii
from gateway.store.models import Conversation, HandoffTicket, Message, UnansweredQuestion
from gateway.wechat.models import WeChatInbound
from gateway.wechat.runtime import deliver_to_conversation, deliver_to_wechat
from tests.gateway.conftest import AppFactory
from tests.gateway.gateway_fakes import FakeRasa, LocalServer, envelope

TOKEN = "wechat-test-token"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"  # 43 characters
APP_ID = "wx5823bf96d3bd56c7"
APP_SECRET = "test-app-secret"
ACCOUNT = "gh_0123456789ab"
OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
ID = "11010519491231002X"
MOBILE = "13812345678"

SOURCE = {
    "kind": "policy",
    "title": "失业保险条例",
    "article": "第十四条",
    "doc_number": "国务院令第258号",
    "issuer": "国务院",
    "date": "1999-01-22",
    "validity": "现行有效",
    "region": "全国",
    "url": "/policy/sy-tiaoli",
}
FEEDBACK_BUTTONS = [
    {"title": "有帮助", "payload": '/feedback{"helpful": true}'},
    {"title": "没帮助", "payload": '/feedback{"helpful": false}'},
]
ANSWER = envelope(
    "非因本人意愿中断就业、已缴费满一年并已办理失业登记的，可以领取失业保险金。",
    topic="consult_unemployment",
    sources=[SOURCE],
    buttons=FEEDBACK_BUTTONS,
)


# --- a fake of WeChat's API server -------------------------------------------------------------


@dataclass
class FakeWeChatAPI:
    """``/cgi-bin/token`` and ``/cgi-bin/message/custom/send`` as WeChat answers them."""

    token_calls: list[dict[str, str]] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    valid_tokens: set[str] = field(default_factory=set)
    counter: itertools.count = field(default_factory=lambda: itertools.count(1))  # type: ignore[type-arg]
    url: str = ""

    def reset(self) -> None:
        self.token_calls.clear()
        self.sent.clear()
        self.valid_tokens.clear()
        self.counter = itertools.count(1)

    def revoke_tokens(self) -> None:
        """As when another server fetched a new token: the old ones answer errcode 40001."""
        self.valid_tokens.clear()

    def wait_for_sent(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.sent) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.sent)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/cgi-bin/token")
        async def token(grant_type: str = "", appid: str = "", secret: str = "") -> dict[str, Any]:
            self.token_calls.append({"grant_type": grant_type, "appid": appid, "secret": secret})
            if grant_type != "client_credential" or appid != APP_ID or secret != APP_SECRET:
                return {"errcode": 40125, "errmsg": "invalid appsecret"}
            value = f"ACCESS_TOKEN_{next(self.counter)}"
            self.valid_tokens.add(value)
            return {"access_token": value, "expires_in": 7200}

        @app.post("/cgi-bin/message/custom/send")
        async def send(request: Request, access_token: str = "") -> dict[str, Any]:
            if access_token not in self.valid_tokens:
                return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
            raw = await request.body()
            body = json.loads(raw.decode("utf-8"))
            self.sent.append(
                {
                    "access_token": access_token,
                    "touser": body["touser"],
                    "msgtype": body["msgtype"],
                    "content": body["text"]["content"],
                    "raw": raw,
                }
            )
            return {"errcode": 0, "errmsg": "ok"}

        return app


@pytest.fixture(scope="session")
def _wechat_api_server() -> Iterator[FakeWeChatAPI]:
    fake = FakeWeChatAPI()
    server = LocalServer(fake.app()).start()
    fake.url = server.url
    yield fake
    server.stop()


@pytest.fixture
def wechat_api(_wechat_api_server: FakeWeChatAPI) -> FakeWeChatAPI:
    _wechat_api_server.reset()
    return _wechat_api_server


# --- WeChat's side of the callback ---------------------------------------------------------------


def sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def text_xml(content: str, *, msg_id: int, openid: str = OPENID, create_time: int | None = None) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{create_time or int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )


def event_xml(event: str, *, create_time: int, openid: str = OPENID) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{create_time}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        f"<Event><![CDATA[{event}]]></Event><EventKey><![CDATA[]]></EventKey></xml>"
    )


def image_xml(*, msg_id: int, openid: str = OPENID) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[image]]></MsgType>"
        "<PicUrl><![CDATA[http://mmbiz.qpic.cn/x]]></PicUrl><MediaId><![CDATA[media1]]></MediaId>"
        f"<MsgId>{msg_id}</MsgId></xml>"
    )


class WeChatServer:
    """Sends callbacks as WeChat's server does: signed query, plaintext or encrypted body."""

    _nonces = itertools.count(1)

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)

    def query(self) -> dict[str, str]:
        timestamp, nonce = str(int(time.time())), f"nonce{next(self._nonces)}"
        return {"signature": sign(TOKEN, timestamp, nonce), "timestamp": timestamp, "nonce": nonce, "openid": OPENID}

    def post_plain(self, xml: str) -> httpx.Response:
        return self.client.post("/wechat", params=self.query(), content=xml.encode("utf-8"))

    def post_encrypted(self, xml: str, *, compatible: bool = False, plaintext_copy: str | None = None) -> httpx.Response:
        """Safe mode: ``<ToUserName>`` + ``<Encrypt>``; compatible mode adds the plaintext fields."""
        query = self.query()
        sealed = xmltodict.parse(self.crypto.encrypt_message(xml, query["nonce"], query["timestamp"]))["xml"]
        if compatible:
            inner = (plaintext_copy or xml).removeprefix("<xml>").removesuffix("</xml>")
            body = f"<xml>{inner}<Encrypt><![CDATA[{sealed['Encrypt']}]]></Encrypt></xml>"
        else:
            body = f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><Encrypt><![CDATA[{sealed['Encrypt']}]]></Encrypt></xml>"
        params = {**query, "encrypt_type": "aes", "msg_signature": sealed["MsgSignature"]}
        self.response_query = params
        return self.client.post("/wechat", params=params, content=body.encode("utf-8"))

    def open_reply(self, response: httpx.Response) -> dict[str, Any]:
        """Decrypt an encrypted passive reply (checking its signature) and parse it."""
        outer = xmltodict.parse(response.text)["xml"]
        assert sign(TOKEN, outer["TimeStamp"], outer["Nonce"], outer["Encrypt"]) == outer["MsgSignature"]
        plain = self.crypto.decrypt_message(response.text, outer["MsgSignature"], outer["TimeStamp"], outer["Nonce"])
        return dict(xmltodict.parse(plain)["xml"])


def reply_of(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    return dict(xmltodict.parse(response.text)["xml"])


_msg_ids = itertools.count(int(time.time()) * 1000)


def new_msg_id() -> int:
    return next(_msg_ids)


@pytest.fixture
def wx_client(make_client: AppFactory, wechat_api: FakeWeChatAPI) -> TestClient:
    return make_client(
        wechat_token=SecretStr(TOKEN),
        wechat_aes_key=SecretStr(AES_KEY),
        wechat_app_id=APP_ID,
        wechat_app_secret=SecretStr(APP_SECRET),
        wechat_api_base=wechat_api.url,
        wechat_public_base_url="https://12333.example.gov.cn",
    )


@pytest.fixture
def wechat(wx_client: TestClient) -> WeChatServer:
    return WeChatServer(wx_client)


# --- URL verification ---------------------------------------------------------------------------


def test_get_echoes_echostr_when_the_signature_is_ours(wx_client: TestClient) -> None:
    timestamp, nonce = str(int(time.time())), "abc123"
    params = {"signature": sign(TOKEN, timestamp, nonce), "timestamp": timestamp, "nonce": nonce, "echostr": "5837397"}
    response = wx_client.get("/wechat", params=params)
    assert response.status_code == 200
    assert response.text == "5837397"
    assert response.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize(
    "params",
    [
        {"signature": "0" * 40, "timestamp": "1700000000", "nonce": "abc", "echostr": "1"},
        {"signature": sign("another-token", "1700000000", "abc"), "timestamp": "1700000000", "nonce": "abc", "echostr": "1"},
        {"timestamp": "1700000000", "nonce": "abc", "echostr": "1"},
        {"echostr": "1"},
    ],
)
def test_get_with_a_bad_or_missing_signature_is_403(wx_client: TestClient, params: dict[str, str]) -> None:
    response = wx_client.get("/wechat", params=params)
    assert response.status_code == 403
    assert response.json()["detail"] == "签名校验失败。"
    assert response.text != "1"


def signed_at(timestamp: int, nonce: str = "replay1") -> dict[str, str]:
    """Query parameters WeChat would send, signed with our token at ``timestamp``."""
    return {"signature": sign(TOKEN, str(timestamp), nonce), "timestamp": str(timestamp), "nonce": nonce, "openid": OPENID}


@pytest.mark.parametrize("offset", [-301, 301, -86_400])
def test_a_correctly_signed_but_stale_callback_is_refused_as_a_replay(
    wx_client: TestClient, fake_rasa: FakeRasa, db: Session, offset: int
) -> None:
    query = signed_at(int(time.time()) + offset)
    response = wx_client.post("/wechat", params=query, content=text_xml("你好", msg_id=new_msg_id()).encode())
    assert response.status_code == 403
    assert response.json()["detail"] == "签名已过期：请求时间戳与服务器时间相差过大。"
    verification = wx_client.get("/wechat", params={**query, "echostr": "5837397"})
    assert verification.status_code == 403 and verification.text != "5837397"
    assert fake_rasa.received == []
    assert db.scalars(select(WeChatInbound)).all() == []


def test_a_timestamp_within_the_allowed_skew_is_accepted(wx_client: TestClient, fake_rasa: FakeRasa) -> None:
    fake_rasa.reply = [ANSWER]
    for offset in (-290, 290):
        query = signed_at(int(time.time()) + offset, nonce=f"skew{offset}")
        response = wx_client.post("/wechat", params=query, content=text_xml("辞职了能领失业金吗？", msg_id=new_msg_id()).encode())
        assert reply_of(response)["Content"].startswith("非因本人意愿中断就业")


def test_the_allowed_skew_is_a_setting(make_client: AppFactory, wechat_api: FakeWeChatAPI) -> None:
    strict = make_client(wechat_token=SecretStr(TOKEN), wechat_api_base=wechat_api.url, wechat_max_clock_skew_seconds=10)
    query = {**signed_at(int(time.time()) - 60), "echostr": "42"}
    assert strict.get("/wechat", params=query).status_code == 403
    lenient = make_client(wechat_token=SecretStr(TOKEN), wechat_api_base=wechat_api.url, wechat_max_clock_skew_seconds=0)
    assert lenient.get("/wechat", params=query).text == "42"  # 0 disables the check


def test_without_a_configured_token_every_callback_is_refused(client: TestClient) -> None:
    params = {"signature": sign("", "1", "n"), "timestamp": "1", "nonce": "n", "echostr": "x"}
    assert client.get("/wechat", params=params).status_code == 403
    assert client.post("/wechat", params=params, content=text_xml("你好", msg_id=1).encode()).status_code == 403


# --- plaintext mode -----------------------------------------------------------------------------


def test_post_with_a_bad_signature_is_403_and_nothing_happens(wechat: WeChatServer, fake_rasa: FakeRasa, db: Session) -> None:
    query = {**wechat.query(), "signature": "f" * 40}
    response = wechat.client.post("/wechat", params=query, content=text_xml("你好", msg_id=new_msg_id()).encode())
    assert response.status_code == 403
    no_signature = wechat.client.post("/wechat", content=text_xml("你好", msg_id=new_msg_id()).encode())
    assert no_signature.status_code == 403
    assert fake_rasa.received == []
    assert db.scalars(select(WeChatInbound)).all() == []


def test_a_text_message_gets_a_passive_reply_with_the_answer_and_its_sources(
    wechat: WeChatServer, fake_rasa: FakeRasa, db: Session
) -> None:
    fake_rasa.reply = [ANSWER]
    response = wechat.post_plain(text_xml("辞职了能领失业金吗？", msg_id=new_msg_id()))
    reply = reply_of(response)
    assert reply["ToUserName"] == OPENID and reply["FromUserName"] == ACCOUNT and reply["MsgType"] == "text"
    assert reply["Content"] == (
        "非因本人意愿中断就业、已缴费满一年并已办理失业登记的，可以领取失业保险金。\n\n"
        "依据：《失业保险条例》第十四条（现行有效）\n\n"
        "回复 1 有帮助\n回复 2 没帮助"
    )
    # The same chat service: one wechat conversation for the OpenID, Rasa asked with its session id.
    conversation = db.scalars(select(Conversation)).one()
    assert conversation.channel == "wechat" and conversation.external_user == OPENID
    assert fake_rasa.received == [{"sender": conversation.session_id, "message": "辞职了能领失业金吗？", "metadata": {"channel": "wechat"}}]
    roles = [(m.sender, m.text) for m in db.scalars(select(Message).order_by(Message.id))]
    assert roles[0] == ("citizen", "辞职了能领失业金吗？") and roles[1][0] == "bot"
    assert conversation.topic == "consult_unemployment"


def test_one_conversation_per_openid_and_a_number_answers_the_buttons(wechat: WeChatServer, fake_rasa: FakeRasa, db: Session) -> None:
    fake_rasa.reply = [ANSWER]
    reply_of(wechat.post_plain(text_xml("失业金怎么领", msg_id=new_msg_id())))
    fake_rasa.reply = [envelope("感谢您的反馈！", event="feedback", intent="feedback")]
    thanks = reply_of(wechat.post_plain(text_xml("１", msg_id=new_msg_id())))
    assert thanks["Content"] == "感谢您的反馈！"
    assert fake_rasa.received[-1]["message"] == '/feedback{"helpful": true}'
    # The answer just shown has no options: a number is text again.
    reply_of(wechat.post_plain(text_xml("2", msg_id=new_msg_id())))
    assert fake_rasa.received[-1]["message"] == "2"
    other = reply_of(wechat.post_plain(text_xml("你好", msg_id=new_msg_id(), openid="oOtherUser")))
    assert other["ToUserName"] == "oOtherUser"
    conversations = db.scalars(select(Conversation).order_by(Conversation.id)).all()
    assert [c.external_user for c in conversations] == [OPENID, "oOtherUser"]
    citizen = db.scalars(select(Message).where(Message.sender == "citizen").order_by(Message.id)).all()
    assert [m.text for m in citizen[:2]] == ["失业金怎么领", "有帮助"]  # the button's title is stored


def test_handoff_waiting_receipt_offers_a_numbered_way_back_to_the_bot(wechat: WeChatServer, fake_rasa: FakeRasa, db: Session) -> None:
    fake_rasa.reply = [
        envelope(
            "好的，正在为您转接人工客服。",
            event="handoff",
            topic="request_human",
            handoff={"reason": "request_human", "topic": None, "last_question": None, "candidates": []},
        )
    ]
    reply_of(wechat.post_plain(text_xml("转人工", msg_id=new_msg_id())))
    assert db.scalars(select(Conversation)).one().status == "waiting_agent"
    receipt = reply_of(wechat.post_plain(text_xml("还要等多久", msg_id=new_msg_id())))
    assert "人工客服" in receipt["Content"] and receipt["Content"].endswith("回复 1 不等了，继续问智能客服")
    assert len(fake_rasa.received) == 1  # a human owns the conversation: the bot is not asked
    cancelled = reply_of(wechat.post_plain(text_xml("1", msg_id=new_msg_id())))
    assert cancelled["Content"] == "已取消转人工，您可以继续向智能客服提问。"
    db.expire_all()
    assert db.scalars(select(Conversation)).one().status == "bot"


def test_broken_xml_is_400_with_a_clear_message(wechat: WeChatServer, fake_rasa: FakeRasa) -> None:
    for body in (b"<xml><MsgType>text", b"\xff\xfe garbage", b"<xml><Content>x</Content></xml>"):
        response = wechat.client.post("/wechat", params=wechat.query(), content=body)
        assert response.status_code == 400
        assert response.json()["detail"].startswith("消息格式错误")
    broken_aes = wechat.client.post(
        "/wechat",
        params={**wechat.query(), "encrypt_type": "aes", "msg_signature": "0" * 40},
        content=b"<xml><Encrypt>",
    )
    assert broken_aes.status_code == 400
    assert fake_rasa.received == []
    healthy = wechat.post_plain(text_xml("你好", msg_id=new_msg_id()))  # and the app still serves
    assert healthy.status_code == 200


def test_subscribe_gets_a_chinese_welcome_and_other_events_success(wechat: WeChatServer, fake_rasa: FakeRasa) -> None:
    created = int(time.time())
    welcome = reply_of(wechat.post_plain(event_xml("subscribe", create_time=created)))
    assert "欢迎关注" in welcome["Content"] and "12333" in welcome["Content"] and "失业" in welcome["Content"]
    # WeChat's retry of the same event (FromUserName + CreateTime) gets the same answer again.
    assert reply_of(wechat.post_plain(event_xml("subscribe", create_time=created)))["Content"] == welcome["Content"]
    for event in ("unsubscribe", "CLICK", "LOCATION", "TEMPLATESENDJOBFINISH"):
        response = wechat.post_plain(event_xml(event, create_time=created + 1 + len(event)))
        assert response.status_code == 200 and response.text == "success"
    assert fake_rasa.received == []


def test_non_text_messages_get_a_friendly_request_for_text(wechat: WeChatServer, fake_rasa: FakeRasa) -> None:
    reply = reply_of(wechat.post_plain(image_xml(msg_id=new_msg_id())))
    assert "文字" in reply["Content"] and "12333" in reply["Content"]
    voice = (
        f"<xml><ToUserName>{ACCOUNT}</ToUserName><FromUserName>{OPENID}</FromUserName><CreateTime>1</CreateTime>"
        f"<MsgType>voice</MsgType><MediaId>m</MediaId><Format>amr</Format><MsgId>{new_msg_id()}</MsgId></xml>"
    )
    assert "文字" in reply_of(wechat.post_plain(voice))["Content"]
    assert fake_rasa.received == []


def test_a_duplicate_msgid_calls_the_bot_once(wechat: WeChatServer, fake_rasa: FakeRasa, db: Session) -> None:
    fake_rasa.reply = [ANSWER]
    xml = text_xml("失业金怎么领", msg_id=new_msg_id())
    first = reply_of(wechat.post_plain(xml))
    again = reply_of(wechat.post_plain(xml))
    assert again["Content"] == first["Content"]
    assert len(fake_rasa.received) == 1
    assert len(db.scalars(select(Message).where(Message.sender == "citizen")).all()) == 1


def test_a_retry_while_the_answer_is_being_computed_does_not_call_the_bot_again(wechat: WeChatServer, fake_rasa: FakeRasa) -> None:
    fake_rasa.reply = [ANSWER]
    fake_rasa.delay = 0.8
    xml = text_xml("失业金怎么领", msg_id=new_msg_id())
    results: dict[str, httpx.Response] = {}

    def send(name: str) -> None:
        results[name] = wechat.post_plain(xml)

    first = threading.Thread(target=send, args=("first",))
    first.start()
    time.sleep(0.3)  # WeChat retries while the first delivery is still waiting for the bot
    send("retry")
    first.join()
    assert len(fake_rasa.received) == 1
    assert reply_of(results["first"])["Content"].startswith("非因本人意愿")
    assert reply_of(results["retry"])["Content"] == reply_of(results["first"])["Content"]


# --- safe and compatible mode -------------------------------------------------------------------


def test_safe_mode_round_trip(wechat: WeChatServer, fake_rasa: FakeRasa) -> None:
    fake_rasa.reply = [ANSWER]
    response = wechat.post_encrypted(text_xml("辞职了能领失业金吗？", msg_id=new_msg_id()))
    assert response.status_code == 200
    outer = xmltodict.parse(response.text)["xml"]
    assert set(outer) == {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}
    assert "失业" not in response.text  # nothing readable on the wire
    reply = wechat.open_reply(response)
    assert reply["ToUserName"] == OPENID and reply["MsgType"] == "text"
    assert "依据：《失业保险条例》第十四条（现行有效）" in reply["Content"]
    assert fake_rasa.received[0]["message"] == "辞职了能领失业金吗？"


def test_safe_mode_with_a_bad_msg_signature_is_403(wechat: WeChatServer, fake_rasa: FakeRasa) -> None:
    query = wechat.query()
    sealed = xmltodict.parse(wechat.crypto.encrypt_message(text_xml("你好", msg_id=1), query["nonce"], query["timestamp"]))["xml"]
    body = f"<xml><ToUserName>{ACCOUNT}</ToUserName><Encrypt>{sealed['Encrypt']}</Encrypt></xml>"
    for msg_signature in ("0" * 40, None):
        params = {**query, "encrypt_type": "aes"} | ({"msg_signature": msg_signature} if msg_signature else {})
        assert wechat.client.post("/wechat", params=params, content=body.encode()).status_code == 403
    assert fake_rasa.received == []


def test_compatible_mode_trusts_the_signed_ciphertext_and_encrypts_the_reply(wechat: WeChatServer, fake_rasa: FakeRasa) -> None:
    fake_rasa.reply = [ANSWER]
    msg_id = new_msg_id()
    response = wechat.post_encrypted(
        text_xml("辞职了能领失业金吗？", msg_id=msg_id),
        compatible=True,
        plaintext_copy=text_xml("被篡改的明文", msg_id=msg_id),
    )
    assert response.status_code == 200
    assert wechat.open_reply(response)["Content"].startswith("非因本人意愿")
    assert fake_rasa.received[0]["message"] == "辞职了能领失业金吗？"


def test_safe_mode_without_an_aes_key_is_503_not_a_crash(make_client: AppFactory, wechat_api: FakeWeChatAPI) -> None:
    client = make_client(wechat_token=SecretStr(TOKEN), wechat_api_base=wechat_api.url)
    wechat = WeChatServer(client)
    response = wechat.post_encrypted(text_xml("你好", msg_id=new_msg_id()))
    assert response.status_code == 503 and "WECHAT_AES_KEY" in response.json()["detail"]
    assert wechat.post_plain(text_xml("你好", msg_id=new_msg_id())).status_code == 200


def test_safe_mode_events_and_success(wechat: WeChatServer) -> None:
    welcome = wechat.open_reply(wechat.post_encrypted(event_xml("subscribe", create_time=int(time.time()))))
    assert "欢迎关注" in welcome["Content"]
    response = wechat.post_encrypted(event_xml("unsubscribe", create_time=int(time.time()) + 7))
    assert response.text == "success"


# --- WeChat's 5 s limit: customer-service messages ---------------------------------------------


def test_a_slow_bot_gets_success_at_once_and_the_answer_as_a_cs_message(
    make_client: AppFactory, wechat_api: FakeWeChatAPI, fake_rasa: FakeRasa
) -> None:
    client = make_client(
        wechat_token=SecretStr(TOKEN),
        wechat_app_id=APP_ID,
        wechat_app_secret=SecretStr(APP_SECRET),
        wechat_api_base=wechat_api.url,
        wechat_reply_budget_seconds=0.3,
    )
    wechat = WeChatServer(client)
    fake_rasa.reply = [ANSWER]
    fake_rasa.delay = 1.0
    xml = text_xml("辞职了能领失业金吗？", msg_id=new_msg_id())
    started = time.perf_counter()
    response = wechat.post_plain(xml)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200 and response.text == "success"
    assert elapsed < 0.9, elapsed
    assert wechat_api.sent == []
    sent = wechat_api.wait_for_sent(1)
    assert len(sent) == 1
    message = sent[0]
    assert message["touser"] == OPENID and message["msgtype"] == "text"
    assert message["access_token"] in wechat_api.valid_tokens
    assert message["content"].startswith("非因本人意愿") and "依据：《失业保险条例》第十四条（现行有效）" in message["content"]
    assert "失业保险条例".encode() in message["raw"]  # UTF-8 JSON, not \u escapes
    assert wechat_api.token_calls == [{"grant_type": "client_credential", "appid": APP_ID, "secret": APP_SECRET}]
    # WeChat's retry after the answer went out as a CS message: no second copy.
    fake_rasa.delay = 0.0
    assert wechat.post_plain(xml).text == "success"
    time.sleep(0.2)
    assert len(wechat_api.sent) == 1 and len(fake_rasa.received) == 1


def test_the_access_token_is_cached_and_refreshed_when_wechat_rejects_it(
    make_client: AppFactory, wechat_api: FakeWeChatAPI, fake_rasa: FakeRasa, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="httpx")
    client = make_client(
        wechat_token=SecretStr(TOKEN),
        wechat_app_id=APP_ID,
        wechat_app_secret=SecretStr(APP_SECRET),
        wechat_api_base=wechat_api.url,
        wechat_reply_budget_seconds=0.2,
    )
    wechat = WeChatServer(client)
    fake_rasa.reply = [ANSWER]
    fake_rasa.delay = 0.5
    for n in (1, 2):
        assert wechat.post_plain(text_xml(f"问题{n}", msg_id=new_msg_id())).text == "success"
        assert len(wechat_api.wait_for_sent(n)) == n
    assert len(wechat_api.token_calls) == 1
    assert wechat_api.sent[0]["access_token"] == wechat_api.sent[1]["access_token"] == "ACCESS_TOKEN_1"
    wechat_api.revoke_tokens()  # e.g. another server fetched a token: errcode 40001
    assert wechat.post_plain(text_xml("问题3", msg_id=new_msg_id())).text == "success"
    sent = wechat_api.wait_for_sent(3)
    assert len(sent) == 3 and sent[2]["access_token"] == "ACCESS_TOKEN_2"
    assert len(wechat_api.token_calls) == 2
    # httpx logs request URLs: the app secret and access tokens are redacted there.
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "httpx")
    assert "/cgi-bin/token" in logged and "secret=***" in logged
    assert APP_SECRET not in logged and "ACCESS_TOKEN_" not in logged


def test_agent_replies_are_delivered_as_cs_messages_split_within_the_limit(
    wx_client: TestClient, wechat_api: FakeWeChatAPI, db: Session
) -> None:
    long_reply = "\n".join(f"第{i}点：" + "请携带身份证到参保地经办机构办理。" * 8 for i in range(1, 12))
    count = deliver_to_wechat(wx_client.app, OPENID, long_reply)  # type: ignore[arg-type]
    assert count == len(wechat_api.sent) > 1
    assert all(len(m["content"].encode("utf-8")) <= 2048 for m in wechat_api.sent)
    assert "".join(m["content"] for m in wechat_api.sent).replace("\n", "") == long_reply.replace("\n", "")
    assert {m["touser"] for m in wechat_api.sent} == {OPENID}
    web = Conversation(session_id="w" * 32, channel="web")
    wechat_conversation = Conversation(session_id="x" * 32, channel="wechat", external_user="oAnother")
    assert deliver_to_conversation(wx_client.app, web, "您好") == 0  # type: ignore[arg-type]
    assert deliver_to_conversation(wx_client.app, wechat_conversation, "您好，我是人工客服。") == 1  # type: ignore[arg-type]
    assert wechat_api.sent[-1]["touser"] == "oAnother" and wechat_api.sent[-1]["content"] == "您好，我是人工客服。"


# --- answers shaped for WeChat, personal data -----------------------------------------------------


def test_a_long_answer_stays_within_the_byte_limit_and_links_the_policy_page(wechat: WeChatServer, fake_rasa: FakeRasa) -> None:
    fake_rasa.reply = [envelope("失业保险金的申领条件和标准如下。" * 150, topic="consult_unemployment", sources=[SOURCE])]
    content = reply_of(wechat.post_plain(text_xml("失业金标准", msg_id=new_msg_id())))["Content"]
    assert len(content.encode("utf-8")) <= 2048
    assert "…详见：https://12333.example.gov.cn/policy/sy-tiaoli" in content
    assert content.endswith("依据：《失业保险条例》第十四条（现行有效）")


def test_personal_data_is_masked_in_stored_review_copies_and_for_the_bot(wechat: WeChatServer, fake_rasa: FakeRasa, db: Session) -> None:
    def unanswered(body: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            envelope(
                "抱歉，这个问题我暂时无法回答，已转给人工客服。",
                event="handoff",
                handoff={"reason": "repeated_failure", "topic": None, "last_question": body["message"], "candidates": []},
                unanswered={"question": body["message"], "topic": None, "reason": "no_hits"},
            )
        ]

    fake_rasa.reply = unanswered
    question = f"我的身份证{ID}，电话{MOBILE}，失业金到账了吗"
    reply_of(wechat.post_plain(text_xml(question, msg_id=new_msg_id())))
    assert not contains_pii(fake_rasa.received[0]["message"])
    citizen = db.scalars(select(Message).where(Message.sender == "citizen")).one()
    assert citizen.text == question  # the original, for the citizen and the assigned agent only
    assert not contains_pii(citizen.text_masked) and "138****5678" in citizen.text_masked
    review = db.scalars(select(UnansweredQuestion)).one()
    assert not contains_pii(review.question_masked)
    ticket = db.scalars(select(HandoffTicket)).one()
    assert ticket.last_question == question and not contains_pii(ticket.last_question_masked)
    assert all(not contains_pii(row.reply) for row in db.scalars(select(WeChatInbound)) if row.reply)


def test_reply_text_that_would_end_a_cdata_section_stays_well_formed(wechat: WeChatServer, fake_rasa: FakeRasa) -> None:
    fake_rasa.reply = [envelope("条件]]><MsgType>news</MsgType>见下文", topic="consult_unemployment")]
    reply = reply_of(wechat.post_plain(text_xml("你好", msg_id=new_msg_id())))
    assert reply["MsgType"] == "text" and reply["Content"] == "条件]]><MsgType>news</MsgType>见下文"
