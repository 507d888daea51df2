"""Fake components for amlops's tests (see ../../../README.md)."""
