"""Contract 5: run ``rasa test nlu`` on an NLU YAML file with the current model and print
``{"accuracy", "macro_f1", "per_intent": {intent: f1}}`` as the last line (also on failure).

``macro_f1`` is the unweighted mean F1 over the intents that occur in the file.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def summarize(report: dict[str, dict[str, float] | float], intents_in_file: set[str]) -> dict[str, object]:
    """Accuracy, macro-F1 over the file's intents, and per-intent F1 from Rasa's intent report."""
    per_intent = {
        name: round(float(values["f1-score"]), 4)  # type: ignore[index]
        for name, values in report.items()
        if isinstance(values, dict) and name in intents_in_file
    }
    macro = sum(per_intent.values()) / len(per_intent) if per_intent else 0.0
    return {"accuracy": round(float(report.get("accuracy", 0.0)), 4), "macro_f1": round(macro, 4), "per_intent": per_intent}  # type: ignore[arg-type]


def intents_of(nlu_file: Path) -> set[str]:
    import yaml

    data = yaml.safe_load(nlu_file.read_text(encoding="utf-8")) or {}
    return {str(block["intent"]) for block in data.get("nlu", []) if isinstance(block, dict) and "intent" in block}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nlu", required=True, type=Path)
    parser.add_argument("--model", required=True, type=Path)
    args = parser.parse_args(argv)
    nlu = args.nlu if args.nlu.is_absolute() else (ROOT / args.nlu)
    try:
        if not nlu.exists():
            raise FileNotFoundError(f"NLU file not found: {nlu}")
        out = Path(tempfile.mkdtemp(prefix="nlu-eval-", dir=ROOT / "var" if (ROOT / "var").exists() else None))
        env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="2", RASA_TELEMETRY_ENABLED="false")
        cmd = [str(ROOT / ".venv-bot" / "bin" / "rasa"), "test", "nlu", "--nlu", str(nlu), "--model", str(args.model), "--out", str(out), "--no-plot"]
        completed = subprocess.run(cmd, cwd=ROOT, env=env, stdout=sys.stderr, stderr=sys.stderr)
        report_file = out / "intent_report.json"
        if completed.returncode != 0 or not report_file.exists():
            raise RuntimeError(f"rasa test nlu failed (exit {completed.returncode})")
        report = json.loads(report_file.read_text(encoding="utf-8"))
        result = summarize(report, intents_of(nlu))
    except Exception as exc:
        print(json.dumps({"error": f"{exc.__class__.__name__}: {exc}"}, ensure_ascii=False))
        return 1
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
