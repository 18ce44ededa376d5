"""Helpers and fakes shared by the tests (test modules never import each other)."""
