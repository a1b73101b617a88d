"""``python -m knowledge_base.check``: validate the knowledge base (``make kb-check``).

Prints each problem as ``file:line: message`` on stderr and, as the last line of stdout, the JSON
summary (also on failure). Exit status 1 when there are errors.
"""

from __future__ import annotations

import json
import sys
import time

from knowledge_base.settings import KnowledgeBaseSettings
from knowledge_base.validator import validate


def main() -> int:
    started = time.perf_counter()
    report = validate(KnowledgeBaseSettings.from_env())
    for problem in report.problems:
        print(str(problem), file=sys.stderr)
    summary = report.summary()
    summary["load_seconds"] = round(time.perf_counter() - started, 3)
    print(json.dumps(summary, ensure_ascii=False))
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
