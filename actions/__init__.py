"""The rasa-sdk action server: thin wrappers over :mod:`bot.dialogue`."""
