"""What the HTTP service adds around the check (issue 19): the check record written off
the event loop, keys of calling systems with a rate limit, metrics, readiness and JSON logs.

Used by ``fangfei_screen.server``; the ledger's tables come from ``fangfei_screen.ledger``.
"""
