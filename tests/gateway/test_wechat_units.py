"""WeChat channel pieces without a server: signatures, envelopes, answer shaping, option choice."""

from __future__ import annotations

import hashlib

import pytest
from wechatpy.crypto import WeChatCrypto

from gateway.wechat.envelope import CallbackCrypto, CryptoNotConfigured, EnvelopeError, parse
from gateway.wechat.render import (
    TEXT_LIMIT_BYTES,
    absolute_url,
    render_messages,
    source_line,
    split_bytes,
    utf8_len,
)
from gateway.wechat.signature import callback_signature_ok
from gateway.wechat.turn import chosen_payload

TOKEN = "unit-token"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters, like WeChat's EncodingAESKey
APP_ID = "wx0123456789abcdef"


def test_callback_signature_is_sha1_of_the_sorted_token_timestamp_and_nonce() -> None:
    expected = hashlib.sha1("".join(sorted([TOKEN, "1700000000", "nonce1"])).encode()).hexdigest()
    assert callback_signature_ok(TOKEN, signature=expected, timestamp="1700000000", nonce="nonce1")
    assert callback_signature_ok(TOKEN, signature=expected.upper(), timestamp="1700000000", nonce="nonce1")
    assert not callback_signature_ok(TOKEN, signature=expected, timestamp="1700000001", nonce="nonce1")
    assert not callback_signature_ok(TOKEN, signature=None, timestamp="1700000000", nonce="nonce1")
    assert not callback_signature_ok(TOKEN, signature=expected, timestamp=None, nonce="nonce1")
    assert not callback_signature_ok("", signature=expected, timestamp="1700000000", nonce="nonce1")
    assert not callback_signature_ok(TOKEN, signature="不是签名", timestamp="1700000000", nonce="nonce1")


def test_safe_mode_envelope_opens_what_wechat_encrypts_and_seals_what_wechat_can_open() -> None:
    wechat = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    plain = "<xml><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好]]></Content></xml>"
    sealed = wechat.encrypt_message(plain, "n1", "1700000000")
    import xmltodict

    envelope = xmltodict.parse(sealed)["xml"]
    body = f"<xml><ToUserName><![CDATA[gh_1]]></ToUserName><Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>"
    ours = CallbackCrypto(token=TOKEN, aes_key=AES_KEY, app_id=APP_ID)
    assert ours.open(body.encode(), msg_signature=envelope["MsgSignature"], timestamp="1700000000", nonce="n1") == plain
    with pytest.raises(EnvelopeError) as bad:
        ours.open(body.encode(), msg_signature="0" * 40, timestamp="1700000000", nonce="n1")
    assert bad.value.status_code == 403
    other_app = CallbackCrypto(token=TOKEN, aes_key=AES_KEY, app_id="wxother")
    with pytest.raises(EnvelopeError) as wrong_app:
        other_app.open(body.encode(), msg_signature=envelope["MsgSignature"], timestamp="1700000000", nonce="n1")
    assert wrong_app.value.status_code == 403
    reply = ours.seal("<xml>回复</xml>", nonce="n2", timestamp="1700000001")
    assert wechat.decrypt_message(reply, xmltodict.parse(reply)["xml"]["MsgSignature"], "1700000001", "n2") == "<xml>回复</xml>"


def test_safe_mode_rejects_garbage_and_missing_keys() -> None:
    ours = CallbackCrypto(token=TOKEN, aes_key=AES_KEY, app_id=APP_ID)
    garbage = "bm90IGEgY2lwaGVydGV4dA=="
    signature = hashlib.sha1("".join(sorted([TOKEN, "1", "n", garbage])).encode()).hexdigest()
    with pytest.raises(EnvelopeError) as undecryptable:
        ours.open(f"<xml><Encrypt>{garbage}</Encrypt></xml>".encode(), msg_signature=signature, timestamp="1", nonce="n")
    assert undecryptable.value.status_code == 400
    with pytest.raises(EnvelopeError) as missing:
        ours.open(b"<xml><ToUserName>gh</ToUserName></xml>", msg_signature=signature, timestamp="1", nonce="n")
    assert missing.value.status_code == 400
    with pytest.raises(CryptoNotConfigured):
        CallbackCrypto(token=TOKEN, aes_key="short", app_id=APP_ID)
    with pytest.raises(CryptoNotConfigured):
        CallbackCrypto(token=TOKEN, aes_key=None, app_id=APP_ID)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<xml><MsgType>text</MsgType>",
        b"not xml at all",
        b"<other><MsgType>text</MsgType></other>",
        b"<xml><Content>no type, no sender</Content></xml>",
        b"<xml><MsgType>text</MsgType><FromUserName>o</FromUserName><CreateTime>soon</CreateTime></xml>",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml><MsgType>&a;</MsgType></xml>',
    ],
)
def test_unreadable_bodies_are_400(body: bytes) -> None:
    with pytest.raises(EnvelopeError) as error:
        parse(body)
    assert error.value.status_code == 400
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error.value.detail)


def test_source_lines_are_short_and_say_what_the_source_is() -> None:
    policy = {"kind": "policy", "title": "失业保险条例", "article": "第十四条", "validity": "现行有效"}
    assert source_line(policy) == "依据：《失业保险条例》第十四条（现行有效）"
    assert source_line({**policy, "article": None, "validity": None}) == "依据：《失业保险条例》"
    assert source_line({"kind": "interpretation", "title": "辞职后能否领取失业保险金"}) == "参考解读：《辞职后能否领取失业保险金》"
    assert source_line({"kind": "case", "title": "《某某诉某公司案》"}) == "参考案例：《某某诉某公司案》"
    assert source_line({"kind": "policy", "title": None}) is None


def test_buttons_become_numbered_options_and_sources_short_lines() -> None:
    rendered = render_messages(
        [
            {
                "text": "符合条件可以领取。",
                "sources": [{"kind": "policy", "title": "失业保险条例", "article": "第十四条", "validity": "现行有效"}],
                "buttons": [],
            },
            {
                "text": "这个回答对您有帮助吗？",
                "sources": [],
                "buttons": [
                    {"title": "有帮助", "payload": '/feedback{"helpful": true}'},
                    {"title": "没帮助", "payload": '/feedback{"helpful": false}'},
                ],
            },
        ],
        base_url="https://bot.example.cn",
    )
    assert rendered.text == (
        "符合条件可以领取。\n\n这个回答对您有帮助吗？\n\n依据：《失业保险条例》第十四条（现行有效）\n\n回复 1 有帮助\n回复 2 没帮助"
    )
    assert [o["payload"] for o in rendered.options] == ['/feedback{"helpful": true}', '/feedback{"helpful": false}']


def test_a_long_answer_is_cut_within_the_byte_limit_with_a_link_and_keeps_sources_and_options() -> None:
    source = {"kind": "policy", "title": "失业保险条例", "article": "第十四条", "validity": "现行有效", "url": "/policy/p1"}
    rendered = render_messages(
        [{"text": "失业保险金" * 600, "sources": [source], "buttons": [{"title": "有帮助", "payload": "/affirm"}]}],
        base_url="https://bot.example.cn",
    )
    assert utf8_len(rendered.text) <= TEXT_LIMIT_BYTES
    assert "…详见：https://bot.example.cn/policy/p1" in rendered.text
    assert "依据：《失业保险条例》第十四条（现行有效）" in rendered.text and rendered.text.endswith("回复 1 有帮助")
    assert rendered.options == [{"title": "有帮助", "payload": "/affirm"}]
    no_link = render_messages([{"text": "长" * 3000, "sources": [], "buttons": []}], base_url=None)
    assert utf8_len(no_link.text) <= TEXT_LIMIT_BYTES and no_link.text.endswith("已省略部分）")


def test_split_keeps_everything_within_the_limit() -> None:
    text = "\n".join(f"第{i}段：" + "政策说明" * 40 for i in range(20))
    pieces = split_bytes(text)
    assert len(pieces) > 1 and all(utf8_len(p) <= TEXT_LIMIT_BYTES for p in pieces)
    assert "".join(pieces).replace("\n", "") == text.replace("\n", "")
    assert split_bytes("短消息") == ["短消息"]
    assert all(utf8_len(p) <= 100 for p in split_bytes("字" * 500, 100))


def test_links_are_absolute_or_absent() -> None:
    assert absolute_url("/policy/p1", "https://a.cn") == "https://a.cn/policy/p1"
    assert absolute_url("https://x.cn/p", None) == "https://x.cn/p"
    assert absolute_url("/policy/p1", None) is None
    assert absolute_url("javascript:alert(1)", "https://a.cn") is None


def test_a_number_picks_the_option_shown() -> None:
    options = [{"title": "有帮助", "payload": "/affirm"}, {"title": "没帮助", "payload": "/deny"}]
    assert chosen_payload("1", options) == "/affirm"
    assert chosen_payload(" ２ ", options) == "/deny"
    assert chosen_payload("3", options) is None
    assert chosen_payload("0", options) is None
    assert chosen_payload("1", []) is None
    assert chosen_payload("1年", options) is None
