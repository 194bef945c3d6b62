"""Planning subsystem: waves, staged plans and stages (core, pure); plan files and progress (edges)."""
