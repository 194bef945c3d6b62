"""Assessment subsystem: zombie criteria, duplicates, readiness and dispositions (pure)."""
