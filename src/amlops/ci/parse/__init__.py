"""Pipeline files as frozen dataclasses."""
