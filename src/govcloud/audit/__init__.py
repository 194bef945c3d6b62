"""Audit subsystem: census diffs graded by risk (core, pure); the inventory at a git revision (edges)."""
