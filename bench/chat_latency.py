"""End-to-end chat latency: the gateway's ``POST /api/chat`` side by side with Rasa's own REST
channel alone, at 1, 10 and 50 concurrent sessions, in one run against the real three processes.

``python bench/chat_latency.py [--rounds 4] [--repeats 3]`` (``make bench`` runs it). Each session
is a new conversation (a fresh sender id on Rasa's side too) that sends a fixed sequence of real
questions; the gateway adds its store writes, masking and envelope parsing on top of the same
Rasa + action server + search work.

Fairness on a shared machine: both sides are warmed up alike, and each level is measured
``--repeats`` times with the two sides interleaved (Rasa then gateway, then gateway then Rasa, …),
so a slow minute of the machine hits both. A single session sends at least 20 questions per
repeat. Per level the output gives pooled p50/p95 of each side, the gateway's added p50 on the
pooled samples, and the median of the per-repeat differences. The last line is JSON with all.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.model import ensure_model  # noqa: E402
from scripts.stack import Stack, StackConfig  # noqa: E402
from search.eval import nearest_rank  # noqa: E402

QUESTIONS = ["辞职了可以领失业金吗", "单位不给交社保怎么办", "工伤认定要在多长时间内申请", "养老金要交满多少年", "公司拖欠工资怎么办"]
LEVELS = (1, 10, 50)
MIN_REQUESTS_PER_REPEAT = 20


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _session(client: httpx.AsyncClient, target: str, base: str, index: int, rounds: int, samples: list[float]) -> None:
    session_id: str | None = None
    sender = f"bench-{uuid.uuid4().hex}"  # a new conversation, as the gateway starts one
    for r in range(rounds):
        text = QUESTIONS[(index + r) % len(QUESTIONS)]
        started = time.perf_counter()
        if target == "gateway":
            body: dict[str, str] = {"text": text} if session_id is None else {"text": text, "session_id": session_id}
            response = await client.post(f"{base}/api/chat", json=body)
            response.raise_for_status()
            session_id = response.json()["session_id"]
        else:
            response = await client.post(f"{base}/webhooks/rest/webhook", json={"sender": sender, "message": text})
            response.raise_for_status()
        samples.append((time.perf_counter() - started) * 1000)


async def _samples(target: str, base: str, concurrency: int, rounds: int) -> list[float]:
    samples: list[float] = []
    limits = httpx.Limits(max_connections=concurrency + 5)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        await asyncio.gather(*(_session(client, target, base, i, rounds, samples) for i in range(concurrency)))
    return samples


def _summary(samples: list[float]) -> dict[str, float]:
    return {"requests": len(samples), "p50_ms": round(nearest_rank(samples, 50), 1), "p95_ms": round(nearest_rank(samples, 95), 1)}


def measure_level(bases: dict[str, str], level: int, rounds: int, repeats: int) -> dict[str, object]:
    """Both sides at ``level`` concurrent sessions, ``repeats`` times, interleaved."""
    rounds = max(rounds, -(-MIN_REQUESTS_PER_REPEAT // level))
    pooled: dict[str, list[float]] = {"rasa": [], "gateway": []}
    differences: list[float] = []
    for repeat in range(repeats):
        order = ("rasa", "gateway") if repeat % 2 == 0 else ("gateway", "rasa")
        p50: dict[str, float] = {}
        for target in order:
            samples = asyncio.run(_samples(target, bases[target], level, rounds))
            pooled[target] += samples
            p50[target] = nearest_rank(samples, 50)
        differences.append(p50["gateway"] - p50["rasa"])
    rasa, gateway = _summary(pooled["rasa"]), _summary(pooled["gateway"])
    return {
        "rasa_rest": rasa,
        "gateway": gateway,
        "gateway_added_p50_ms": round(gateway["p50_ms"] - rasa["p50_ms"], 1),
        "added_p50_per_repeat_ms": [round(d, 1) for d in differences],
        "added_p50_median_of_repeats_ms": round(statistics.median(differences), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=4, help="questions per session (at least 20 in all per repeat)")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved measurements per level")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-chat-"))
    config = StackConfig(
        model=ensure_model(),
        gateway_port=_free_port(),
        rasa_port=_free_port(),
        actions_port=_free_port(),
        log_dir=workdir / "log",
        extra_env={
            "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
            "GATEWAY_VAR_DIR": str(workdir / "var"),
            "RATE_LIMIT_SESSION_PER_MINUTE": "0",
            "RATE_LIMIT_IP_PER_MINUTE": "0",
        },
    )
    stack = Stack(config)
    stack.start(timeout=300)
    results: dict[str, object] = {}
    try:
        bases = {"gateway": f"http://127.0.0.1:{config.gateway_port}", "rasa": f"http://127.0.0.1:{config.rasa_port}"}
        for target in ("rasa", "gateway"):  # warm-up of both: models, imports, index pages, connections
            asyncio.run(_samples(target, bases[target], 2, len(QUESTIONS)))
        for level in LEVELS:
            row = measure_level(bases, level, args.rounds, args.repeats)
            print(json.dumps({f"sessions_{level}": row}, ensure_ascii=False), flush=True)
            results[f"sessions_{level}"] = row
    finally:
        stack.stop()
    print(json.dumps(results, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
