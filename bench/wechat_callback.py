"""WeChat callback latency: ``POST /wechat`` round trips against a real gateway process.

Starts the gateway application (in-process uvicorn on a free 127.0.0.1 port, a fresh SQLite
database in a temporary folder) with the fake Rasa REST server of the gateway tests answering at
once, then sends N signed text messages sequentially — plaintext mode by default, ``--mode aes``
for safe mode (encrypted with wechatpy exactly as WeChat does) — and times each round trip
(signature check, parse, de-duplication row, the chat service with its database writes and the
Rasa call, rendering, reply). The bot's own time is excluded by design: this is the gateway's
share of WeChat's 5 s budget. The last line of standard output is one JSON object.

    PYTHONPATH=. .venv/bin/python bench/wechat_callback.py [--n 200] [--mode plaintext|aes]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import xmltodict  # noqa: E402
from pydantic import SecretStr  # noqa: E402
from wechatpy.crypto import WeChatCrypto  # noqa: E402

from gateway.app import create_app  # noqa: E402
from gateway.settings import Settings  # noqa: E402
from tests.gateway.gateway_fakes import FakeRasa, LocalServer, envelope  # noqa: E402

TOKEN = "bench-token"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
APP_ID = "wx5823bf96d3bd56c7"
SOURCE = {
    "kind": "policy",
    "title": "失业保险条例",
    "article": "第十四条",
    "doc_number": None,
    "issuer": "国务院",
    "date": "1999-01-22",
    "validity": "现行有效",
    "region": "全国",
    "url": "/policy/sy-tiaoli",
}
QUESTIONS = ["辞职了能领失业金吗？", "失业保险金怎么申领", "工伤认定需要什么材料", "社保断缴有什么影响", "退休年龄是多少"]


def nearest_rank(values: list[float], pct: float) -> float:
    """The nearest-rank percentile (as contract 4 uses)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def text_xml(content: str, *, openid: str, msg_id: int) -> str:
    return (
        f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )


def signed_request(xml: str, *, n: int, mode: str, crypto: WeChatCrypto) -> tuple[dict[str, str], bytes]:
    """The query and body WeChat's server would send."""
    timestamp, nonce = str(int(time.time())), f"bench{n}"
    query = {
        "signature": hashlib.sha1("".join(sorted([TOKEN, timestamp, nonce])).encode()).hexdigest(),
        "timestamp": timestamp,
        "nonce": nonce,
    }
    if mode == "plaintext":
        return query, xml.encode("utf-8")
    sealed = xmltodict.parse(crypto.encrypt_message(xml, nonce, timestamp))["xml"]
    body = f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><Encrypt><![CDATA[{sealed['Encrypt']}]]></Encrypt></xml>"
    return {**query, "encrypt_type": "aes", "msg_signature": sealed["MsgSignature"]}, body.encode("utf-8")


def run(n: int, mode: str, users: int) -> dict[str, object]:
    rasa = FakeRasa()
    rasa.reply = [
        envelope(
            "非因本人意愿中断就业、已缴费满一年并已办理失业登记的，可以领取失业保险金。",
            topic="consult_unemployment",
            sources=[SOURCE],
            buttons=[{"title": "有帮助", "payload": "/affirm"}, {"title": "没帮助", "payload": "/deny"}],
        )
    ]
    rasa_server = LocalServer(rasa.app).start()
    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=f"sqlite:///{Path(tmp) / 'gateway.sqlite3'}",
            var_dir=Path(tmp) / "var",
            rasa_url=rasa_server.url,
            rate_limit_session_per_minute=0,
            rate_limit_ip_per_minute=0,
            wechat_token=SecretStr(TOKEN),
            wechat_aes_key=SecretStr(AES_KEY),
            wechat_app_id=APP_ID,
            wechat_api_base="http://127.0.0.1:9",  # never called: every answer is passive here
        )
        gateway = LocalServer(create_app(settings), lifespan="on").start()
        latencies: list[float] = []
        passive = 0
        try:
            with httpx.Client(base_url=gateway.url, timeout=10) as client:
                base_id = int(time.time()) * 1000
                for i in range(n + 5):  # 5 warm-up requests, not counted
                    xml = text_xml(QUESTIONS[i % len(QUESTIONS)], openid=f"oBenchUser{i % users:03d}", msg_id=base_id + i)
                    query, body = signed_request(xml, n=i, mode=mode, crypto=crypto)
                    started = time.perf_counter()
                    response = client.post("/wechat", params=query, content=body)
                    elapsed_ms = (time.perf_counter() - started) * 1000
                    if response.status_code != 200:
                        raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")
                    if i >= 5:
                        latencies.append(elapsed_ms)
                        passive += response.text != "success"
        finally:
            gateway.stop()
            rasa_server.stop()
    return {
        "benchmark": "wechat_callback",
        "mode": mode,
        "n": len(latencies),
        "users": users,
        "passive_replies": passive,
        "p50_ms": round(nearest_rank(latencies, 50), 2),
        "p99_ms": round(nearest_rank(latencies, 99), 2),
        "mean_ms": round(statistics.fmean(latencies), 2),
        "max_ms": round(max(latencies), 2),
        "database": "sqlite",
        "bot": "fake Rasa REST server (answers at once)",
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--mode", choices=("plaintext", "aes"), default="plaintext")
    parser.add_argument("--users", type=int, default=10, help="distinct OpenIDs, used in turn")
    args = parser.parse_args()
    try:
        result = run(args.n, args.mode, args.users)
    except Exception as exc:  # the last line is JSON also on failure
        result = {"benchmark": "wechat_callback", "mode": args.mode, "error": f"{exc.__class__.__name__}: {exc}"}
        print(json.dumps(result, ensure_ascii=False))
        sys.exit(1)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
