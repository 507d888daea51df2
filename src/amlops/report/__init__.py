"""The run report of a training run: facts (`facts`) -> a self-contained HTML page (`html`, charts from
`svg`) and a Markdown summary for the CI run page (`markdown`). Pure: `amlops.verbs.report` does the I/O."""

from amlops.report.facts import RunFacts
from amlops.report.html import render_html
from amlops.report.markdown import render_markdown

__all__ = ["RunFacts", "render_html", "render_markdown"]
