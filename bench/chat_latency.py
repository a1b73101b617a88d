"""End-to-end chat latency: the gateway's ``POST /api/chat`` side by side with Rasa's own REST
channel alone, at 1, 10 and 50 concurrent sessions, in one run against the real three processes.

``python bench/chat_latency.py [--rounds 4] [--repeats 5]`` (``make bench`` runs it). Each session
is a new conversation (a fresh sender id on Rasa's side too) that sends a fixed sequence of real
questions; the gateway adds its store writes, masking and envelope parsing on top of the same
Rasa + action server + search work.

Fairness on a shared machine: both sides are warmed up alike, and each level is measured
``--repeats`` times with the two sides interleaved (Rasa then gateway, then gateway then Rasa, …),
so a slow minute of the machine hits both. A single session sends at least 20 questions per
repeat, and there the two sides go in lockstep, question by question (which side goes first
alternates), so even a slow second hits both. Per level the output gives pooled p50/p95 of each side, the gateway's added p50 on the
pooled samples, and the median of the per-repeat differences. The last line is JSON with all.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
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


class _Conversation:
    """One citizen's conversation on one side: a fresh sender id on Rasa's side, the session id
    the gateway issues on the gateway's side."""

    def __init__(self, client: httpx.AsyncClient, target: str, base: str) -> None:
        self.client, self.target, self.base = client, target, base
        self.sender = f"bench-{uuid.uuid4().hex}"
        self.session_id: str | None = None

    async def ask(self, text: str) -> float:
        """Send one question; returns the round trip in ms."""
        started = time.perf_counter()
        if self.target == "gateway":
            body: dict[str, str] = {"text": text} if self.session_id is None else {"text": text, "session_id": self.session_id}
            response = await self.client.post(f"{self.base}/api/chat", json=body)
            response.raise_for_status()
            self.session_id = response.json()["session_id"]
        else:
            response = await self.client.post(f"{self.base}/webhooks/rest/webhook", json={"sender": self.sender, "message": text})
            response.raise_for_status()
        return (time.perf_counter() - started) * 1000


async def _session(client: httpx.AsyncClient, target: str, base: str, index: int, rounds: int, samples: list[float]) -> None:
    conversation = _Conversation(client, target, base)
    for r in range(rounds):
        samples.append(await conversation.ask(QUESTIONS[(index + r) % len(QUESTIONS)]))


async def _lockstep(bases: dict[str, str], rounds: int) -> dict[str, list[float]]:
    """One session on each side, question by question, alternating which side goes first."""
    samples: dict[str, list[float]] = {"rasa": [], "gateway": []}
    async with httpx.AsyncClient(timeout=120) as client:
        sides = {target: _Conversation(client, target, base) for target, base in bases.items()}
        for r in range(rounds):
            order = ("rasa", "gateway") if r % 2 == 0 else ("gateway", "rasa")
            for target in order:
                samples[target].append(await sides[target].ask(QUESTIONS[r % len(QUESTIONS)]))
    return samples


async def _samples(target: str, base: str, concurrency: int, rounds: int) -> list[float]:
    samples: list[float] = []
    limits = httpx.Limits(max_connections=concurrency + 5)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        await asyncio.gather(*(_session(client, target, base, i, rounds, samples) for i in range(concurrency)))
    return samples


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, with waited-for children) a process has used, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def _summary(samples: list[float]) -> dict[str, float]:
    return {"requests": len(samples), "p50_ms": round(nearest_rank(samples, 50), 1), "p95_ms": round(nearest_rank(samples, 95), 1)}


def measure_level(bases: dict[str, str], pids: dict[str, int], level: int, rounds: int, repeats: int) -> dict[str, object]:
    """Both sides at ``level`` concurrent sessions, ``repeats`` times, interleaved. Also the
    gateway's own CPU per gateway turn: on two shared cores, that is what a saturated Rasa loses."""
    rounds = max(rounds, -(-MIN_REQUESTS_PER_REPEAT // level))
    pooled: dict[str, list[float]] = {"rasa": [], "gateway": []}
    differences: list[float] = []
    busy = {"rasa": 0.0, "gateway": 0.0}
    gateway_cpu_before = cpu_seconds(pids["gateway"])
    for repeat in range(repeats):
        order = ("rasa", "gateway") if repeat % 2 == 0 else ("gateway", "rasa")
        p50: dict[str, float] = {}
        if level == 1:
            both = asyncio.run(_lockstep(bases, rounds))
        else:
            both = {}
            for target in order:
                started = time.perf_counter()
                both[target] = asyncio.run(_samples(target, bases[target], level, rounds))
                busy[target] += time.perf_counter() - started
        for target, samples in both.items():
            pooled[target] += samples
            p50[target] = nearest_rank(samples, 50)
        differences.append(p50["gateway"] - p50["rasa"])
    gateway_cpu_ms = (cpu_seconds(pids["gateway"]) - gateway_cpu_before) * 1000
    rasa, gateway = _summary(pooled["rasa"]), _summary(pooled["gateway"])
    return {
        "gateway_cpu_ms_per_turn": round(gateway_cpu_ms / len(pooled["gateway"]), 1),
        # Turns answered per second of each side's batches (levels > 1): equal when the gateway
        # costs Rasa nothing.
        "turns_per_second": {t: round(len(pooled[t]) / busy[t], 2) for t in busy if busy[t]},
        "rasa_rest": rasa,
        "gateway": gateway,
        "gateway_added_p50_ms": round(gateway["p50_ms"] - rasa["p50_ms"], 1),
        "added_p50_per_repeat_ms": [round(d, 1) for d in differences],
        "added_p50_median_of_repeats_ms": round(statistics.median(differences), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=4, help="questions per session (at least 20 in all per repeat)")
    parser.add_argument("--levels", default=",".join(map(str, LEVELS)), help="concurrent sessions, comma-separated")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved measurements per level")
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
        for level in (int(v) for v in args.levels.split(",")):
            pids = {service.name: service.process.pid for service in stack.services if service.process is not None}
            row = measure_level(bases, pids, level, args.rounds, args.repeats)
            print(json.dumps({f"sessions_{level}": row}, ensure_ascii=False), flush=True)
            results[f"sessions_{level}"] = row
    finally:
        stack.stop()
    print(json.dumps(results, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
