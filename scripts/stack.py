"""Start, watch and stop the three processes of the bot: action server, Rasa, gateway.

Used by ``make run`` (foreground, Ctrl-C stops all three cleanly) and by the end-to-end tests.
Standard library only: it runs before and outside both virtual environments' own code.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class StackConfig:
    """Ports, model and where logs go. Ports come from GATEWAY_PORT, RASA_PORT, ACTIONS_PORT."""

    model: Path
    gateway_port: int = int(os.environ.get("GATEWAY_PORT", "8000"))
    rasa_port: int = int(os.environ.get("RASA_PORT", "5005"))
    actions_port: int = int(os.environ.get("ACTIONS_PORT", "5055"))
    log_dir: Path = ROOT / "var" / "log"
    extra_env: dict[str, str] = field(default_factory=dict)


@dataclass
class Service:
    name: str
    argv: list[str]
    ready_url: str
    log: Path
    process: subprocess.Popen[bytes] | None = None


def _get(url: str, timeout: float = 2.0) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback only)
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (urllib.error.URLError, OSError):
        return 0


class Stack:
    """The three processes, each in its own process group with its own log file."""

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        config.log_dir.mkdir(parents=True, exist_ok=True)
        endpoints = ROOT / "var" / "endpoints.yml"
        endpoints.write_text(f"action_endpoint:\n  url: http://127.0.0.1:{config.actions_port}/webhook\n", encoding="utf-8")
        bot = ROOT / ".venv-bot" / "bin"
        self.services = [
            Service(
                "actions",
                [str(bot / "rasa"), "run", "actions", "--actions", "actions.actions", "--port", str(config.actions_port)],
                f"http://127.0.0.1:{config.actions_port}/health",
                config.log_dir / "actions.log",
            ),
            Service(
                "rasa",
                [
                    str(bot / "rasa"), "run", "--enable-api", "-i", "127.0.0.1", "--port", str(config.rasa_port),
                    "--model", str(config.model), "--endpoints", str(endpoints),
                    "--credentials", str(ROOT / "bot" / "credentials.yml"),
                ],
                f"http://127.0.0.1:{config.rasa_port}/status",
                config.log_dir / "rasa.log",
            ),
            Service(
                "gateway",
                [str(ROOT / ".venv" / "bin" / "python"), "-m", "gateway", "serve"],
                f"http://127.0.0.1:{config.gateway_port}/healthz",
                config.log_dir / "gateway.log",
            ),
        ]

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "PYTHONPATH": str(ROOT),
                "GATEWAY_PORT": str(self.config.gateway_port),
                "RASA_URL": f"http://127.0.0.1:{self.config.rasa_port}",
                "ACTIONS_URL": f"http://127.0.0.1:{self.config.actions_port}",
                "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{self.config.actions_port}/webhook",
                "TF_CPP_MIN_LOG_LEVEL": "2",
                "RASA_TELEMETRY_ENABLED": "false",
            }
        )
        env.update(self.config.extra_env)
        return env

    def start(self, timeout: float = 240.0) -> None:
        """Start all three and wait until each answers; raise with the log tail if one does not."""
        env = self._env()
        for service in self.services:
            log = service.log.open("ab")
            service.process = subprocess.Popen(
                service.argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        for service in self.services:
            while True:
                assert service.process is not None
                if service.process.poll() is not None:
                    self.stop()
                    raise RuntimeError(f"{service.name} exited ({service.process.returncode}); see {service.log}:\n{_tail(service.log)}")
                status = _get(service.ready_url)
                if status == 200:
                    break
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"{service.name} not ready after {timeout:.0f}s; see {service.log}:\n{_tail(service.log)}")
                time.sleep(1.0)

    def stop(self) -> None:
        """SIGTERM every process group, then SIGKILL what is still alive after 15 s."""
        for service in reversed(self.services):
            if service.process and service.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(service.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for service in self.services:
            if not service.process:
                continue
            try:
                service.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(service.process.pid, signal.SIGKILL)
                service.process.wait()

    def watch(self) -> int:
        """Block until Ctrl-C or until one process dies; returns the exit status for ``make run``."""
        try:
            while True:
                for service in self.services:
                    assert service.process is not None
                    if service.process.poll() is not None:
                        print(f"\n{service.name} stopped unexpectedly; see {service.log}:\n{_tail(service.log)}", file=sys.stderr)
                        return 1
                time.sleep(1.0)
        except KeyboardInterrupt:
            print("\nStopping gateway, rasa and the action server …")
            return 0
        finally:
            self.stop()


def _tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the action server, Rasa and the gateway.")
    parser.add_argument("--model", required=True, type=Path)
    args = parser.parse_args(argv)
    stack = Stack(StackConfig(model=args.model))
    for service in stack.services:
        print(f"  {service.name:8s} log: {service.log}")
    print("Starting (Rasa takes about half a minute to load) …")
    # Ctrl-C and SIGTERM stop all three, even when started from a shell that ignores SIGINT.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        stack.start()
    except KeyboardInterrupt:
        stack.stop()
        return 0
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 1
    port = stack.config.gateway_port
    print(f"\n人社政策咨询机器人 is ready: open http://127.0.0.1:{port}  (health: http://127.0.0.1:{port}/healthz)")
    print("Press Ctrl-C to stop all three.")
    return stack.watch()


if __name__ == "__main__":
    sys.exit(main())
