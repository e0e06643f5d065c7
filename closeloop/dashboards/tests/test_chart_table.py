"""The chart tables are built in Python (templatetags/cockpit.py): names typed by people are escaped,
numbers read as ``{{ }}`` shows them in the reader's language, and an empty chart says so."""

from django.template import Context, Template
from django.utils import translation

TABLE = {
    "headers": ["Customer", "Complaints", "Share %"],
    "rows": [
        [
            {"text": '<b>"A&B"</b>', "url": ""},
            {"value": 12, "url": "/complaints/?customer=A%26B&x=1"},
            {"value": 37.5, "url": ""},
        ],
        [{"text": "无", "url": ""}, {"value": 0, "url": ""}, {"value": None, "url": ""}],
    ],
}


def _render(table: dict, lang: str = "en") -> str:
    with translation.override(lang):
        return Template('{% load cockpit %}{% chart_table table "table-x" %}').render(
            Context({"table": table})
        )


def test_cells_are_escaped_linked_and_aligned():
    html = _render(TABLE)
    assert html.startswith('<div class="table-responsive"><table class="table table-sm')
    assert 'id="table-x"' in html
    assert '<th scope="col">Customer</th><th scope="col" class="text-end">Complaints</th>' in html
    assert '<th scope="row">&lt;b&gt;&quot;A&amp;B&quot;&lt;/b&gt;</th>' in html
    assert '<td class="text-end"><a href="/complaints/?customer=A%26B&amp;x=1">12</a></td>' in html
    assert '<td class="text-end">37.5</td>' in html
    assert '<td class="text-end">—</td>' in html
    assert "<b>" not in html


def test_the_same_numbers_as_the_template_engine_gives():
    for lang in ("en", "zh-hans", "de"):  # German writes 37,5: the separator follows the language
        with translation.override(lang):
            expected = Template("{{ a }}|{{ b }}|{{ c }}").render(Context({"a": 12, "b": 37.5, "c": 1e-05}))
        html = _render(
            {
                "headers": ["h", "a", "b", "c"],
                "rows": [[{"text": "x"}, {"value": 12}, {"value": 37.5}, {"value": 1e-05}]],
            },
            lang,
        )
        cells = [c.split("<")[0] for c in html.split('<td class="text-end">')[1:]]
        assert "|".join(cells) == expected


def test_an_empty_table_says_so_in_the_readers_language():
    html = _render({"headers": ["a", "b"], "rows": []}, "zh-hans")
    assert '<td colspan="2" class="text-secondary">' in html
    with translation.override("zh-hans"):
        said = translation.gettext("No complaints in this period.")
    assert said != "No complaints in this period."
    assert said in html


def _script(value: object, tag: str) -> str:
    return Template(tag).render(Context({"value": value}))


def test_chart_data_is_what_json_script_gives():
    """The charts' JSON element: the same element, the same escapes, the same data once parsed."""
    import datetime as dt
    import json
    from decimal import Decimal

    from django.utils.translation import gettext_lazy

    data = {
        "title": '</script><script>alert("x")</script> & 客诉',
        "series": [{"value": 3, "url": "/complaints/?a=1&b=2"}, {"value": 12.5}, None, True],
        "when": dt.date(2026, 12, 4),
        "copq": Decimal("1234.50"),
        "label": gettext_lazy("Closed"),
    }
    ours = _script(data, '{% load cockpit %}{% chart_data value "cockpit-data" %}')
    django = _script(data, '{{ value|json_script:"cockpit-data" }}')
    head = '<script id="cockpit-data" type="application/json">'
    assert ours.startswith(head) and django.startswith(head)
    assert ours.endswith("</script>") and ours.count("</script>") == 1
    assert "<" not in ours[len(head) : -len("</script>")] and ">" not in ours[len(head) : -len("</script>")]
    assert "&" not in ours[len(head) : -len("</script>")]

    def parsed(html: str) -> object:
        return json.loads(html[len(head) : -len("</script>")])

    assert parsed(ours) == parsed(django)
    assert parsed(ours)["when"] == "2026-12-04" and parsed(ours)["copq"] == "1234.50"
    assert "客诉" in ours  # UTF-8, not \u escapes
