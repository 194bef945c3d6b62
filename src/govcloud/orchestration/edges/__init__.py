"""I/O of the orchestrator: the SQLite ledger, SSH signatures, the people file, the advance procedure."""
