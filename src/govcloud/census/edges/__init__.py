"""Edges: files, tools and processes."""
