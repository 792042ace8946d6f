"""newscorpus-mcp: grounded, citable access to a news corpus for AI agents."""

__version__ = "0.1.0"
