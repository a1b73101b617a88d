"""Train the Rasa model only when its inputs changed (content hash), print the model path.

``python scripts/model.py [--print-path]``; models are cached as ``models/bot-<hash>.tar.gz``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INPUTS = ["bot/config.yml", "bot/domain.yml", "requirements/bot.lock"]
INPUT_DIRS = ["bot/data", "knowledge_base/dictionary"]


def model_hash() -> str:
    """sha256 over the training inputs: config, domain, training data, dictionary, bot lock file."""
    digest = hashlib.sha256()
    files = [ROOT / f for f in INPUTS]
    for directory in INPUT_DIRS:
        files += sorted(p for p in (ROOT / directory).rglob("*") if p.is_file())
    for path in files:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def ensure_model() -> Path:
    """Path of the model for the current inputs, training it first when missing."""
    path = ROOT / "models" / f"bot-{model_hash()}.tar.gz"
    if path.exists():
        return path
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="2", RASA_TELEMETRY_ENABLED="false")
    cmd = [
        str(ROOT / ".venv-bot" / "bin" / "rasa"), "train",
        "--config", "bot/config.yml", "--domain", "bot/domain.yml", "--data", "bot/data",
        "--out", "models", "--fixed-model-name", path.name.removesuffix(".tar.gz"),
    ]
    print(f"Training the Rasa model ({path.name}) …", file=sys.stderr)
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdout=sys.stderr)
    return path


def main() -> int:
    argparse.ArgumentParser(description=__doc__).parse_args()
    print(ensure_model())
    return 0


if __name__ == "__main__":
    sys.exit(main())
