"""Census subsystem: normalising form values, record checks (core, pure) and the spreadsheet forms (edges)."""
