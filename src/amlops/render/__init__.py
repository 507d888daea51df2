"""Render a project from this repository's cookiecutter: answer validation, assembly and the `new` command.

`answers` and `layout` use the standard library only: the cookiecutter hooks load them by file path, so
`cookiecutter <this repository>` works with nothing but cookiecutter installed.
"""
