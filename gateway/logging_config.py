"""Logging for the gateway process: every log record has personal data masked.

Why a record factory and not a handler filter: a filter protects only the handlers it is attached
to, while the factory masks the message of every record created in the process — ours, uvicorn's,
SQLAlchemy's, any handler's — before any handler sees it; tracebacks are pre-formatted, masked,
into ``exc_text`` (which standard formatters reuse). The gateway also never logs session ids (they are credentials) or
message texts; it logs conversation numbers.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from gateway.privacy import mask_pii

_installed = False
_TRACEBACK_FORMATTER = logging.Formatter()


def _masking_factory(base: Any) -> Any:
    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = base(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler to report
            return record
        masked = mask_pii(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        if record.exc_info and record.exc_info[0] is not None:
            # Formatters reuse ``exc_text`` when set: pre-format the traceback, masked.
            record.exc_text = mask_pii(_TRACEBACK_FORMATTER.formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = mask_pii(record.stack_info)
        return record

    factory._gateway_masking = True  # type: ignore[attr-defined]
    return factory


class MaskingFormatter(logging.Formatter):
    """Masks tracebacks and stack info too (exception messages can quote input)."""

    def formatException(self, ei: Any) -> str:  # noqa: N802 - logging's API name
        return mask_pii(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:  # noqa: N802
        return mask_pii(super().formatStack(stack_info))


def install_pii_masking() -> None:
    """Mask personal data in every log record of this process (idempotent)."""
    global _installed
    current = logging.getLogRecordFactory()
    if getattr(current, "_gateway_masking", False):
        _installed = True
        return
    logging.setLogRecordFactory(_masking_factory(current))
    _installed = True


def configure_logging(level: str = "INFO") -> None:
    """Masking plus one stderr handler on the root logger with :class:`MaskingFormatter`
    (only if the root logger has no handler yet: tests and embedding servers keep theirs)."""
    install_pii_masking()
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(MaskingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(level.upper())
    logging.getLogger("gateway").setLevel(level.upper())
