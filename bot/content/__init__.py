"""The charter and country files: their schema, loading, checking and lookup."""

from bot.content.loader import ContentError, ContentStore, load_content
from bot.content.model import Content, Country, Fact, Source, Topic

__all__ = ["Content", "ContentError", "ContentStore", "Country", "Fact", "Source", "Topic",
           "load_content"]
