"""NLU benchmark: the light intent classifier vs. DIET on this machine.

For each variant the script derives a Rasa config from ``bot/config.yml`` (same tokenizer,
featurizers, entity extractor and fallback; only the intent classifier differs), then

- trains an NLU-only model on ``bot/data`` and times it (wall clock, seconds);
- parses every held-out message (``bot/tests/nlu_heldout.yml``) with
  ``rasa.core.agent.Agent.load(model).parse_message(text)``, timing each call (p50/p95/mean, ms;
  one warm-up pass first, then ``--repeat`` timed passes);
- scores intents like ``rasa test nlu`` / ``scripts/eval_intents.py`` do (a FallbackClassifier
  prediction is undone, so the top real intent is scored): accuracy, macro-F1 over all intents
  in the file, macro-F1 over the 10 topic intents of the contract, per-intent F1, the topic
  confusion pairs, and exact-match entity precision/recall/F1 (type + value) on the held-out.

Every variant runs in its own subprocess (clean TensorFlow state, comparable timings). Seeds are
fixed (LogisticRegression random_state, DIET random_seed), so reruns reproduce the scores;
timings depend on the load of the machine, which is printed too.

    .venv-bot/bin/python bench/nlu_bench.py                    # light + diet
    .venv-bot/bin/python bench/nlu_bench.py --variants light   # one variant
    .venv-bot/bin/python bench/nlu_bench.py --diet-epochs 60 --repeat 5   # longer DIET, more timing passes

The last printed line is one JSON object with every variant's numbers.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = ROOT.parent / "shared" / "contracts" / "topics.yml"
TOPICS_FALLBACK = [
    "consult_pension", "consult_unemployment", "consult_injury", "consult_social_insurance",
    "consult_social_security_card", "consult_employment", "consult_labor_relations",
    "consult_talent", "consult_skills", "other_department",
]
INTENT_CLASSIFIERS = {"LogisticRegressionClassifier", "DIETClassifier", "SklearnIntentClassifier",
                      "KeywordIntentClassifier"}


def topic_intents() -> list[str]:
    import yaml

    try:
        return list((yaml.safe_load(CONTRACT.read_text(encoding="utf-8")) or {})["topics"])
    except Exception:  # contract not laid out beside the repo
        return TOPICS_FALLBACK


# ----------------------------------------------------------------------------- variants

LIGHT = {
    "name": "LogisticRegressionClassifier",
    "max_iter": 300,
    "solver": "lbfgs",
    "tol": 0.0001,
    "random_state": 42,
}


def diet(epochs: int) -> dict[str, Any]:
    """DIET for intents only (entities stay with the CRF so both variants extract them alike).

    No transformer layers: on 2 CPU cores a transformer costs minutes per training and tens of
    ms per parse without helping on short single-sentence intents of this size (tried: see NLU.md).
    """
    return {
        "name": "DIETClassifier",
        "epochs": epochs,
        "entity_recognition": False,
        "number_of_transformer_layers": 0,
        "hidden_layers_sizes": {"text": [256, 128]},
        "embedding_dimension": 20,
        "constrain_similarities": True,
        "model_confidence": "softmax",
        "random_seed": 42,
        "batch_size": [32, 64],
        "run_eagerly": False,
        "checkpoint_model": False,
    }


def derive_config(variant: str, diet_epochs: int) -> dict[str, Any]:
    import yaml

    config = yaml.safe_load((ROOT / "bot" / "config.yml").read_text(encoding="utf-8"))
    pipeline = config["pipeline"]
    idx = next(i for i, c in enumerate(pipeline) if c["name"] in INTENT_CLASSIFIERS)
    if variant == "current":
        pass
    elif variant == "light":
        pipeline[idx] = copy.deepcopy(LIGHT)
    elif variant == "diet":
        pipeline[idx] = diet(diet_epochs)
        # DIET also reads token-level (sequence) features: give it the lexical-syntactic ones that
        # the linear classifier cannot use (it only sees sentence features).
        if not any(c["name"] == "LexicalSyntacticFeaturizer" for c in pipeline):
            after = next((i for i, c in enumerate(pipeline) if c["name"] == "RegexFeaturizer"), 0)
            pipeline.insert(after + 1, {"name": "LexicalSyntacticFeaturizer"})
    else:
        raise SystemExit(f"unknown variant {variant!r} (light, diet, current)")
    config["policies"] = []  # NLU only
    return config


# ----------------------------------------------------------------------------- one variant


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, int(round(q / 100.0 * len(ordered) + 0.5 - 1e-9)))
    return ordered[min(rank, len(ordered)) - 1]


def entity_set(text: str, entities: list[dict[str, Any]]) -> Counter:
    """(type, surface text) of each entity: synonyms map values, so compare the spans."""
    return Counter((e["entity"], text[e["start"]:e["end"]]) for e in entities)


def run_variant(variant: str, diet_epochs: int, heldout: Path, repeat: int) -> dict[str, Any]:
    import asyncio
    import logging

    import yaml

    logging.disable(logging.WARNING)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from rasa.core.agent import Agent
    from rasa.model_training import train_nlu
    from rasa.nlu.classifiers import fallback_classifier
    from rasa.shared.nlu.training_data.loading import load_data
    from sklearn.metrics import precision_recall_fscore_support

    config = derive_config(variant, diet_epochs)
    work = Path(tempfile.mkdtemp(prefix=f"nlu-bench-{variant}-"))
    try:
        config_path = work / "config.yml"
        config_path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
        started = time.perf_counter()
        model = train_nlu(str(config_path), str(ROOT / "bot" / "data"), str(work), fixed_model_name="nlu")
        train_seconds = time.perf_counter() - started
        if not model:
            raise RuntimeError("training produced no model")

        started = time.perf_counter()
        agent = Agent.load(model)
        load_seconds = time.perf_counter() - started

        data = load_data(str(heldout))
        examples = [m for m in data.intent_examples if m.get("text")]
        texts = [m.get("text") for m in examples]

        async def parse_all(timed: list[float] | None) -> list[dict[str, Any]]:
            out = []
            for text in texts:
                t0 = time.perf_counter()
                result = await agent.parse_message(text)
                if timed is not None:
                    timed.append((time.perf_counter() - t0) * 1000.0)
                out.append(result)
            return out

        loop = asyncio.new_event_loop()
        results = loop.run_until_complete(parse_all(None))  # warm-up and scoring pass
        latencies: list[float] = []
        for _ in range(repeat):
            loop.run_until_complete(parse_all(latencies))
        loop.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    gold, pred, fallback_count = [], [], 0
    ent_tp = ent_fp = ent_fn = 0
    errors = []
    for message, result in zip(examples, results, strict=False):
        if fallback_classifier.is_fallback_classifier_prediction(result):
            fallback_count += 1
            result = fallback_classifier.undo_fallback_prediction(result)
        g, p = message.get("intent"), (result.get("intent") or {}).get("name")
        gold.append(g)
        pred.append(p)
        if g != p:
            errors.append({"text": message.get("text"), "gold": g, "pred": p,
                           "confidence": round(float(result["intent"]["confidence"]), 3)})
        expected = entity_set(message.get("text"), message.get("entities") or [])
        found = entity_set(message.get("text"), result.get("entities") or [])
        ent_tp += sum((expected & found).values())
        ent_fp += sum((found - expected).values())
        ent_fn += sum((expected - found).values())

    intents = sorted(set(gold))
    _, _, f1s, support = precision_recall_fscore_support(gold, pred, labels=intents, zero_division=0)
    per_intent = {i: round(float(f), 4) for i, f in zip(intents, f1s, strict=False)}
    topics = [t for t in topic_intents() if t in per_intent]
    topic_set = set(topics)
    confusion = Counter((g, p) for g, p in zip(gold, pred, strict=False) if g != p)
    ent_p = ent_tp / (ent_tp + ent_fp) if ent_tp + ent_fp else 0.0
    ent_r = ent_tp / (ent_tp + ent_fn) if ent_tp + ent_fn else 0.0
    return {
        "variant": variant,
        "classifier": next(c for c in config["pipeline"] if c["name"] in INTENT_CLASSIFIERS),
        "heldout_examples": len(gold),
        "accuracy": round(sum(g == p for g, p in zip(gold, pred, strict=False)) / len(gold), 4),
        "macro_f1": round(sum(per_intent.values()) / len(per_intent), 4),
        "macro_f1_topics": round(sum(per_intent[t] for t in topics) / len(topics), 4),
        "accuracy_topics": round(
            sum(g == p for g, p in zip(gold, pred, strict=False) if g in topic_set) / sum(g in topic_set for g in gold), 4),
        "per_intent_f1": per_intent,
        "fallback_predictions": fallback_count,
        "entities": {"precision": round(ent_p, 4), "recall": round(ent_r, 4),
                     "f1": round(2 * ent_p * ent_r / (ent_p + ent_r), 4) if ent_p + ent_r else 0.0},
        "train_seconds": round(train_seconds, 1),
        "load_seconds": round(load_seconds, 2),
        "parse_ms": {
            "p50": round(percentile(latencies, 50), 2),
            "p95": round(percentile(latencies, 95), 2),
            "mean": round(statistics.fmean(latencies), 2),
            "n": len(latencies),
        },
        "topic_confusion": [
            {"gold": g, "pred": p, "count": n}
            for (g, p), n in confusion.most_common() if g in topic_set and p in topic_set
        ],
        "confusion": [{"gold": g, "pred": p, "count": n} for (g, p), n in confusion.most_common()],
        "errors": errors,
    }


# ----------------------------------------------------------------------------- driver


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {"nproc": os.cpu_count(), "platform": platform.platform(),
                            "python": platform.python_version()}
    try:
        info["mem_total_gb"] = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
        info["loadavg_1m"] = round(os.getloadavg()[0], 2)
    except (ValueError, OSError, AttributeError):
        pass
    try:
        import rasa

        info["rasa"] = rasa.__version__
    except ImportError:
        pass
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", default="light,diet", help="comma list of light, diet, current")
    parser.add_argument("--diet-epochs", type=int, default=int(os.environ.get("DIET_EPOCHS", "40")))
    parser.add_argument("--heldout", type=Path, default=ROOT / "bot" / "tests" / "nlu_heldout.yml")
    parser.add_argument("--repeat", type=int, default=3, help="timed parse passes over the held-out")
    parser.add_argument("--single", help=argparse.SUPPRESS)  # internal: run one variant in-process
    parser.add_argument("--errors", action="store_true", help="also print each variant's misclassified texts")
    args = parser.parse_args(argv)

    if args.single:
        print(json.dumps(run_variant(args.single, args.diet_epochs, args.heldout, args.repeat), ensure_ascii=False))
        return 0

    # RASA_MAX_CACHE_SIZE=0: no reuse of Rasa's training cache (~/.rasa/cache), so the training time
    # is the full time from scratch every run.
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="2", RASA_TELEMETRY_ENABLED="false",
               RASA_MAX_CACHE_SIZE="0")
    summary: dict[str, Any] = {"machine": machine(), "heldout": str(args.heldout.relative_to(ROOT))
                               if args.heldout.is_relative_to(ROOT) else str(args.heldout), "variants": {}}
    for variant in [v.strip() for v in args.variants.split(",") if v.strip()]:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--single", variant, "--diet-epochs",
               str(args.diet_epochs), "--heldout", str(args.heldout), "--repeat", str(args.repeat)]
        done = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
        if done.returncode != 0 or not lines:
            summary["variants"][variant] = {"error": f"exit {done.returncode}"}
            continue
        result = json.loads(lines[-1])
        if args.errors:
            for e in result["errors"]:
                print(f"[{variant}] {e['gold']} -> {e['pred']} ({e['confidence']}) {e['text']}")
        result.pop("errors")
        print(json.dumps({k: result[k] for k in ("variant", "accuracy", "macro_f1", "macro_f1_topics",
                                                  "train_seconds", "parse_ms", "entities")}, ensure_ascii=False))
        summary["variants"][variant] = result
    summary["machine"]["loadavg_1m_end"] = round(os.getloadavg()[0], 2)
    print(json.dumps(summary, ensure_ascii=False))
    return 0 if all("error" not in v for v in summary["variants"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
