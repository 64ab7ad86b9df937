"""`make bench`: what an answer costs, measured offline, each figure against its target (bench/__main__.py)."""
