"""Rasa NLU components of ours (referenced by module path in config.yml)."""
