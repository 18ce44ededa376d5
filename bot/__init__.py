"""Our library: languages, content, rendering, channels and storage for the charter bot."""
