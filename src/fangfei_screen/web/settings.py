"""Where the pages keep uploads and how long, read once from the environment."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

UPLOAD_LIMIT_ENV = "FANGFEI_WEB_UPLOAD_MB"
JOBS_DIR_ENV = "FANGFEI_WEB_JOBS_DIR"
JOB_TTL_ENV = "FANGFEI_WEB_JOB_HOURS"
JOBS_AT_ONCE_ENV = "FANGFEI_WEB_JOBS_AT_ONCE"


@dataclass(frozen=True, slots=True)
class WebSettings:
    """``upload_limit`` in bytes; job folders older than ``job_ttl`` seconds are removed."""

    jobs_dir: Path
    upload_limit: int = 50 * 1024 * 1024
    job_ttl: float = 24 * 3600.0
    jobs_at_once: int = 1  # bulk jobs screened at once: on the whole ledger (or, without one, by each process)
    db: str | None = None  # the ledger database (users, 台账); None: $FANGFEI_DB or the ledger's default

    @classmethod
    def from_env(cls) -> WebSettings:
        jobs_dir = os.environ.get(JOBS_DIR_ENV) or str(Path(tempfile.gettempdir()) / "fangfei-screen-jobs")
        return cls(
            jobs_dir=Path(jobs_dir),
            upload_limit=int(float(os.environ.get(UPLOAD_LIMIT_ENV) or 50) * 1024 * 1024),
            job_ttl=float(os.environ.get(JOB_TTL_ENV) or 24) * 3600.0,
            jobs_at_once=_positive(os.environ.get(JOBS_AT_ONCE_ENV, "")),
        )


def _positive(value: str, default: int = 1) -> int:
    """A positive whole number from the environment, or ``default`` (an unreadable value is not a crash)."""
    value = value.strip()
    return int(value) if value.isdigit() and int(value) > 0 else default
