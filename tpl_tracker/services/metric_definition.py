"""The written definition of the WUB metric (docs/metric*.md), rendered to HTML for the app's pages."""

from pathlib import Path

import markdown
from markupsafe import Markup

DOCS = Path(__file__).resolve().parents[2] / "docs"
BOOTSTRAP_TABLE = '<div class="table-responsive"><table class="table table-sm">'


def definition_path(locale: str) -> Path:
    """The definition in the reader's language (docs/metric.<locale>.md), else the English docs/metric.md."""
    translated = DOCS / f"metric.{locale}.md"
    return translated if translated.is_file() else DOCS / "metric.md"


def definition_html(locale: str) -> Markup:
    """The definition as HTML, its tables styled and scrollable on a phone."""
    html = markdown.markdown(definition_path(locale).read_text(encoding="utf-8"), extensions=["tables"])
    return Markup(html.replace("<table>", BOOTSTRAP_TABLE).replace("</table>", "</table></div>"))
