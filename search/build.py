"""``python -m search.build [--corpus kb|national] [--if-changed]``: (re)build an index.

Prints a JSON line with counts, timing and whether anything was rebuilt.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from search.analyzer import build_analyzer
from search.factory import create_backend
from search.ingest import content_hash, kb_units, national_units
from search.settings import SearchSettings


def build(corpus: str, *, if_changed: bool, settings: SearchSettings | None = None) -> dict[str, object]:
    """Build the ``corpus`` index with the configured backend; skip when the content is unchanged."""
    settings = settings or SearchSettings.from_env()
    backend = create_backend(settings, corpus=corpus)
    digest = content_hash(settings.kb, corpus)
    stamp = settings.index_dir / f"{corpus}.{settings.backend}.hash"
    if if_changed and stamp.exists() and stamp.read_text().strip() == digest and backend.health().ok:
        return {"corpus": corpus, "backend": settings.backend, "rebuilt": False, "count": backend.count()}
    started = time.perf_counter()
    analyzer = build_analyzer(settings.kb)
    units = kb_units(settings.kb, analyzer) if corpus == "kb" else national_units(settings.kb, analyzer)
    written = backend.replace_all(units)
    seconds = time.perf_counter() - started
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    stamp.write_text(digest)
    return {
        "corpus": corpus,
        "backend": settings.backend,
        "rebuilt": True,
        "count": written,
        "seconds": round(seconds, 2),
        "units_per_second": round(written / seconds, 1) if seconds else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", choices=("kb", "national"), default="kb")
    parser.add_argument("--if-changed", action="store_true", help="skip when sources are unchanged")
    args = parser.parse_args(argv)
    try:
        result = build(args.corpus, if_changed=args.if_changed)
    except Exception as exc:  # reported as the last JSON line, also on failure
        print(json.dumps({"corpus": args.corpus, "error": f"{exc.__class__.__name__}: {exc}"}, ensure_ascii=False))
        return 1
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
