"""The cockpit's chart tables, rendered in Python.

A cockpit page carries several hundred table cells (four Pareto tables, the trend, the ageing and the
customers at risk). Through the template engine each cell cost a dozen node renders and variable
lookups — about a third of the page's time — so the table view is built here, with every value escaped
and localised exactly as ``{{ }}`` would.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from django import template
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.formats import get_format, localize
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

register = template.Library()
_END = ' class="text-end"'


def _number(value: Any, decimal_sep: str) -> str:
    """``value`` as ``{{ value }}`` shows it: ints and floats with the language's decimal separator and,
    without thousand separators configured, no grouping — built directly, as ``localize`` looks the
    formats up again for every cell."""
    if settings.USE_THOUSAND_SEPARATOR or isinstance(value, bool):
        return str(localize(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and "e" not in (text := str(value)):
        return text.replace(".", decimal_sep)
    return str(localize(value))


def _cell(cell: Mapping[str, Any], decimal_sep: str) -> str:
    content: str
    if "text" in cell:
        content = conditional_escape(cell["text"])
    elif cell.get("value") is None:
        content = "—"
    else:
        content = conditional_escape(_number(cell["value"], decimal_sep))
    url = cell.get("url")
    return f'<a href="{conditional_escape(url)}">{content}</a>' if url else content


@register.simple_tag
def chart_table(table: Mapping[str, Sequence[Any]], table_id: str) -> SafeString:
    """``table`` ({"headers": [...], "rows": [[cell, ...], ...]}, cells as built in ``charts``) as a
    table: the first column as row headers, the others right-aligned, a cell with a ``url`` a link."""
    headers = table["headers"]
    head = "".join(
        f'<th scope="col"{_END if i else ""}>{conditional_escape(h)}</th>' for i, h in enumerate(headers)
    )
    sep = str(get_format("DECIMAL_SEPARATOR"))
    body = []
    for row in table["rows"]:
        cells = [f'<th scope="row">{_cell(row[0], sep)}</th>'] if row else []
        cells.extend(f'<td class="text-end">{_cell(c, sep)}</td>' for c in row[1:])
        body.append(f"<tr>{''.join(cells)}</tr>")
    if not body:
        empty = conditional_escape(gettext("No complaints in this period."))
        body.append(f'<tr><td colspan="{len(headers)}" class="text-secondary">{empty}</td></tr>')
    return mark_safe(  # noqa: S308 - every piece above is escaped
        '<div class="table-responsive"><table class="table table-sm table-vcenter card-table cl-chart-table"'
        f' id="{conditional_escape(table_id)}">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


# What json_script escapes, so no text in the data can end the element or start markup.
_SCRIPT_ESCAPES = (("&", "\\u0026"), ("<", "\\u003C"), (">", "\\u003E"))
_encoder = DjangoJSONEncoder()


@register.simple_tag
def chart_data(value: Any, element_id: str) -> SafeString:
    """``value`` as JSON in ``<script id=... type="application/json">``, as Django's ``json_script``
    writes it (the same escapes; dates, decimals and lazy text as DjangoJSONEncoder writes them), but
    serialised with orjson and escaped with three replaces: ``json_script``'s ``str.translate`` over
    the charts' ~100 KB took 2 ms of every cockpit page. Non-ASCII text stays UTF-8 instead of
    ``\\uXXXX`` escapes, which JSON.parse reads the same."""
    text = orjson.dumps(value, default=_encoder.default).decode()
    for raw, escaped in _SCRIPT_ESCAPES:
        text = text.replace(raw, escaped)
    return format_html(
        '<script id="{}" type="application/json">{}</script>',
        element_id,
        mark_safe(text),  # noqa: S308 - the three characters that could end the element are escaped
    )
