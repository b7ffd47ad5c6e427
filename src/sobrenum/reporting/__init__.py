"""Reporting: summaries, charts, the HTML report."""

from sobrenum.reporting.html import render_footprint_html, write_footprint_html
from sobrenum.reporting.summary import Summary, summarise

__all__ = ["Summary", "render_footprint_html", "summarise", "write_footprint_html"]
