"""The ledger's tables (SQLAlchemy Core).

Entities are stored only once they have a clue; their state per month, their
findings and each month's sighting of a finding are separate rows, so that a
month's ingest can be replaced without touching other months. Every change also
writes a row to ``history`` in the same transaction.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# One ingested file. ``replaced_by`` is set when --replace brought a newer file for the unit and month.
batches = Table(
    "batches",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("unit", String(200), nullable=False),
    Column("month", String(7), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("file_name", String(500), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("flagged", Integer, nullable=False),
    Column("complete", Boolean, nullable=False),
    Column("list_versions", String(500), nullable=False),
    Column("by", String(200), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("replaced_by", Integer, ForeignKey("batches.id"), nullable=True),
    # which rows of the file were the unit's (a sheet, or a unit column): see ledger.units
    Column("selection", String(200), nullable=False, server_default=""),
    # 线索来源 of the clues this file brought (the unit's choice; see ledger.clues.SOURCES)
    Column("source", String(50), nullable=False, server_default=""),
    # screening | manual (录入线索 by hand, by `ledger add-clue` or from a sheet of clues)
    Column("kind", String(20), nullable=False, server_default="screening"),
)

# The file in force for each unit and month: its primary key is what keeps two
# concurrent ingests of one unit and month from both landing.
unit_months = Table(
    "unit_months",
    metadata,
    Column("unit", String(200), primary_key=True),
    Column("month", String(7), primary_key=True),
    Column("batch_id", Integer, ForeignKey("batches.id"), nullable=False),
)

entities = Table(
    "entities",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("unit", String(200), nullable=False, index=True),
    Column("credit_code", String(64), nullable=True),
    Column("name", Text, nullable=False),
    Column("scope", Text, nullable=False),
    Column("address", Text, nullable=False),
    Column("first_month", String(7), nullable=False),
)

# The clue's state in one month: new, recurring, resolved, missing or closed,
# with the name and scope seen that month (the evidence of a resolution).
clue_months = Table(
    "clue_months",
    metadata,
    Column("key", String(300), ForeignKey("entities.key"), primary_key=True),
    Column("month", String(7), primary_key=True),
    Column("batch_id", Integer, ForeignKey("batches.id"), nullable=False, index=True),
    Column("state", String(20), nullable=False),
    Column("action", String(40), nullable=False),
    Column("name", Text, nullable=False),
    Column("scope", Text, nullable=False),
    Column("address", Text, nullable=False),
    Column("status", String(100), nullable=False),
    Column("screened_on", String(10), nullable=False),
    Column("seq", Integer, nullable=False),  # the row's place in its file: reports keep the file's order
    Index("ix_clue_months_month_state", "month", "state"),
)

# The Attachment 2 facts of a clue in the month it was recorded (a hand-recorded clue's
# fields as typed; a screened clue's source and region).
clue_facts = Table(
    "clue_facts",
    metadata,
    Column("key", String(300), ForeignKey("entities.key"), primary_key=True),
    Column("month", String(7), primary_key=True),
    Column("origin", String(50), nullable=False),  # how it was found: 网格排查, 群众举报 …
    Column("subject_kind", String(20), nullable=False, server_default="entity"),  # entity | person
    Column("category", String(200), nullable=False, server_default=""),
    Column("method", String(200), nullable=False, server_default=""),
    Column("found_on", String(10), nullable=False, server_default=""),
    Column("region", String(200), nullable=False, server_default=""),
    Column("amount", String(40), nullable=False, server_default=""),
    Column("people", String(40), nullable=False, server_default=""),
    Column("internet", String(40), nullable=False, server_default=""),
    Column("illegal", String(40), nullable=False, server_default=""),
    Column("path", String(40), nullable=False, server_default=""),
    Column("case_date", String(10), nullable=False, server_default=""),
    Column("charge", String(200), nullable=False, server_default=""),
    Column("remark", Text, nullable=False, server_default=""),
    Column("by", String(200), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

# A unit's month as sent to the county (报送本月): the two tables as they were sent.
submissions = Table(
    "submissions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("unit", String(200), nullable=False),
    Column("month", String(7), nullable=False),
    Column("content_sha", String(64), nullable=False),  # of the rows sent: a later change shows as 报送后有修改
    Column("attachment2", LargeBinary, nullable=False),
    Column("attachment2_sha", String(64), nullable=False),
    Column("attachment3", LargeBinary, nullable=False),
    Column("attachment3_sha", String(64), nullable=False),
    Column("rows2", Integer, nullable=False),
    Column("rows3", Integer, nullable=False),
    Column("by", String(200), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_submissions_unit_month", "unit", "month"),
)

# Key old cases (plan §18): over five years, or over 1亿元; a leader answers for each.
key_cases = Table(
    "key_cases",
    metadata,
    Column("key", String(300), ForeignKey("entities.key"), primary_key=True),
    Column("reason", String(100), nullable=False),
    Column("since", String(10), nullable=False),  # when the case began (YYYY-MM-DD)
    Column("amount", String(40), nullable=False, server_default=""),  # 万元
    Column("leader", String(200), nullable=False),  # 包案领导
    Column("supervised", Boolean, nullable=False, server_default=false()),  # 挂牌督办
    Column("by", String(200), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

# One finding per entity, term and field; the reviewer's decision lives here, with
# the sha256 of the field's text it was made on (a changed text reopens it).
findings = Table(
    "findings",
    metadata,
    Column("key", String(300), ForeignKey("entities.key"), primary_key=True),
    Column("term", String(100), primary_key=True),
    Column("field", String(10), primary_key=True),
    Column("category", Integer, nullable=False),
    Column("first_month", String(7), nullable=False),
    Column("decision", String(20), nullable=True),  # other_sense | confirmed
    Column("reason", Text, nullable=True),
    Column("decided_by", String(200), nullable=True),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Column("decided_text_sha", String(64), nullable=True),
)

# A finding as seen in one month: the matched text with a little context, the
# whole hit as the scan wrote it, and the list version.
finding_months = Table(
    "finding_months",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("term", String(100), primary_key=True),
    Column("field", String(10), primary_key=True),
    Column("month", String(7), primary_key=True),
    Column("batch_id", Integer, ForeignKey("batches.id"), nullable=False, index=True),
    Column("text", Text, nullable=False),
    Column("context", Text, nullable=False),
    Column("text_sha", String(64), nullable=False),
    Column("list_name", String(200), nullable=False),
    Column("list_version", String(100), nullable=False),
    Column("hit", Text, nullable=False),
    ForeignKeyConstraint(["key", "term", "field"], ["findings.key", "findings.term", "findings.field"]),
)

# What was done about a clue, with the fields of Attachment 3.
disposals = Table(
    "disposals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(300), ForeignKey("entities.key"), nullable=False, index=True),
    Column("measure", String(100), nullable=False),
    Column("date", Date, nullable=False),
    Column("month", String(7), nullable=False, index=True),
    Column("description", Text, nullable=False, default=""),
    Column("authority", String(200), nullable=False, default=""),
    Column("region", String(200), nullable=False, default=""),
    Column("channel", String(200), nullable=False, default=""),
    Column("amount", String(40), nullable=False, default=""),
    Column("unrefunded_amount", String(40), nullable=False, default=""),
    Column("participants", String(40), nullable=False, default=""),
    Column("unrefunded_people", String(40), nullable=False, default=""),
    Column("police", String(10), nullable=False, default=""),
    Column("case_date", String(10), nullable=False, default=""),
    Column("admin_finding", Text, nullable=False, default=""),
    Column("penalty_date", String(10), nullable=False, default=""),
    Column("penalty_type", String(100), nullable=False, default=""),
    Column("refunded_amount", String(40), nullable=False, default=""),
    Column("remark", Text, nullable=False, default=""),
    Column("fingerprint", String(64), nullable=False),
    Column("by", String(200), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    # re-importing the same sheet must not record the same disposal twice
    UniqueConstraint("key", "fingerprint", name="uq_disposals_key_fingerprint"),
)

# Append-only: who, when, what, before and after (JSON text).
history = Table(
    "history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("by", String(200), nullable=False),
    Column("key", String(300), nullable=True, index=True),
    Column("subject", String(20), nullable=False),  # entity | finding | disposal | batch | user
    Column("action", String(30), nullable=False),
    Column("before", Text, nullable=True),
    Column("after", Text, nullable=True),
    Column("batch_id", Integer, nullable=True),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("unit", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("token_id", String(32), nullable=False, unique=True),
    Column("token_hash", String(200), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# A reviewer's finding on the licence of an entity whose name declares a licensed kind of
# institution (action verify_licence): licensed (then exempt) or not (then a clue like any
# other). One row per entity; every change also writes history.
licence_reviews = Table(
    "licence_reviews",
    metadata,
    Column("key", String(300), ForeignKey("entities.key"), primary_key=True),
    Column("licensed", Boolean, nullable=False),
    Column("licence_no", String(200), nullable=False, default=""),
    Column("issuer", String(200), nullable=False, default=""),
    Column("by", String(200), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

# A signed-in session of the pages (issue 19): the cookie's value is never stored, only its
# sha256; ``csrf`` is the session's own form token. Times are Unix seconds.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("user_name", String(200), nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    Column("created", Float, nullable=False),
    Column("seen", Float, nullable=False),
    Column("ended", Float, nullable=True),
)

# Each list (re)load of the service: the newest row is the list every worker serves.
lists_in_use = Table(
    "lists_in_use",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("list_version", String(200), nullable=False),
    Column("list_sha256", String(64), nullable=False),
    Column("at", Float, nullable=False),
    Column("by", String(200), nullable=False),
)

# Every pre-registration check answered by the service or the page (issue 19). Append-only:
# triggers refuse UPDATE and DELETE (migration 0004); outcomes are rows of their own.
checks = Table(
    "checks",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(40), nullable=False, unique=True),  # the id printed on answers and notices
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("channel", String(10), nullable=False),  # api | batch | page
    Column("caller_kind", String(10), nullable=False),  # key | user | anonymous
    Column("caller", String(200), nullable=False),  # the API key's id or the user's name ("" when anonymous)
    Column("system", String(200), nullable=False),  # the calling system of the key ("" otherwise)
    Column("unit", String(200), nullable=False),
    Column("ref", String(200), nullable=True),  # the caller's own id in a batch
    Column("kind", String(10), nullable=False),
    Column("input_sha256", String(64), nullable=False),
    Column("input", Text, nullable=True),  # the application as JSON; NULL under serve --no-record-text
    Column("list_version", String(200), nullable=False),
    Column("list_sha256", String(64), nullable=False),
    Column("action", String(40), nullable=False),
    Column("terms", Text, nullable=False),  # JSON list of the counted terms
    Column("result", Text, nullable=True),  # Result.to_dict() as JSON (NULL with the text off)
)

# What the desk did with a check's advice; the newest row is in force, every row is kept.
check_outcomes = Table(
    "check_outcomes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("check_id", String(40), ForeignKey("checks.id"), nullable=False, index=True),
    Column("outcome", String(20), nullable=False),  # adopted | overridden
    Column("reason", Text, nullable=False),
    Column("by", String(200), nullable=False),
    Column("unit", String(200), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

# Keys of calling systems (名称自主申报系统 …): argon2 hashes as for users' tokens.
api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key_id", String(32), nullable=False, unique=True),
    Column("system", String(200), nullable=False),
    Column("unit", String(200), nullable=False),
    Column("key_hash", String(200), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

# Bulk jobs of the pages (issue 19): the state and the queue every worker of `serve` shares.
# The input file stays in the jobs folder, checked against ``size`` and ``sha256``. A running
# job carries its worker's id and a lease the worker renews; ``data`` holds the rest (JSON).
bulk_jobs = Table(
    "bulk_jobs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("owner", String(200), nullable=False),
    Column("unit", String(200), nullable=False, index=True),
    Column("original_name", String(200), nullable=False),
    Column("suffix", String(16), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("state", String(10), nullable=False, index=True),  # uploaded | queued | running | done | failed
    Column("created", Float, nullable=False),
    Column("queued", Float, nullable=True),  # the queue's order
    Column("worker", String(200), nullable=True),  # host, boot and process of the worker running it
    Column("lease", Float, nullable=True),
    Column("data", Text, nullable=False),
)

# Sign-in failures per client address and per token id, shared by every worker.
sign_in_failures = Table(
    "sign_in_failures",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("count", Integer, nullable=False),
    Column("last", Float, nullable=False),
)
