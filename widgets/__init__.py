"""convkit.widgets: classroom explorers (see README)."""
