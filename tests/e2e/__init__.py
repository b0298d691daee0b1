"""T4: the classroom notebook in Voila, driven by a real browser."""
