"""Pure: no I/O."""
