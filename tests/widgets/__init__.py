"""T1 and T3: the widgets headless (scenes, explorers, rendering, export)."""
