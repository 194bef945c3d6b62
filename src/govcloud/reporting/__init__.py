"""Reports: the programme's figures (pure core) and their renderings (edges)."""
