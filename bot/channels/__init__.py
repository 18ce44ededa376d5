"""Rasa input channels of ours. Each checks its input at the door and logs no content."""
