"""Stage orchestration: the tamper-evident migration ledger, people and roles, advance and status."""
