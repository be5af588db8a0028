"""Domain operations: plain verb_noun functions that flush, never commit."""
