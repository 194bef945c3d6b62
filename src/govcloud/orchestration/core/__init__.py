"""Pure rules of the orchestrator: ledger entries and their chain, the roster, transitions, status views."""
