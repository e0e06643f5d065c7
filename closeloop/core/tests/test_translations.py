"""The zh-hans catalogue is complete: every message has a translation and none is fuzzy."""

from pathlib import Path

import polib
from django.conf import settings

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_catalogue_is_complete():
    po = polib.pofile(str(CATALOGUE))
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert len(po) > 100
    assert untranslated == []
    assert fuzzy == []


def test_placeholders_survive_translation():
    """A translation must keep every %(name)s placeholder of its source, or rendering breaks."""
    import re

    po = polib.pofile(str(CATALOGUE))
    pattern = re.compile(r"%\(\w+\)[sd]")
    broken = [
        e.msgid
        for e in po.translated_entries()
        if sorted(pattern.findall(e.msgid)) != sorted(pattern.findall(e.msgstr)) and not e.msgid_plural
    ]
    assert broken == []


def _has_previous_singular(lines: list[str], i: int) -> bool:
    """True when the comment block above line ``i`` holds a ``#| msgid`` (possibly multi-line)."""
    j = i - 1
    while j >= 0 and lines[j].startswith("#"):
        if lines[j].startswith("#| msgid "):
            return True
        j -= 1
    return False


def test_catalogue_is_valid_for_gnu_gettext():
    """`make messages` merges with GNU msgmerge, which refuses a previous plural (``#| msgid_plural``)
    that has no previous singular before it; polib reads such a file without complaint."""
    lines = CATALOGUE.read_text(encoding="utf-8").splitlines()
    orphans = [
        i + 1
        for i, line in enumerate(lines)
        if line.startswith("#| msgid_plural") and not _has_previous_singular(lines, i)
    ]
    assert orphans == []


_DIRECTIVE = r"%(?:\(\w+\))?[#0\- +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]"


def test_python_format_translations_are_valid_format_strings():
    """What ``msgfmt --check`` enforces for python-format entries: the translation uses the same
    directives as its source and no stray ``%`` (``90% 在`` fails; a source whose ``%`` is text is
    marked ``no-python-format`` where it is written)."""
    import re

    directive = re.compile(_DIRECTIVE)
    bad = []
    for e in polib.pofile(str(CATALOGUE)).translated_entries():
        if "python-format" not in e.flags:
            continue
        sources = [e.msgid, e.msgid_plural] if e.msgid_plural else [e.msgid]
        targets = list(e.msgstr_plural.values()) if e.msgid_plural else [e.msgstr]
        wanted = sorted(set(directive.findall(sources[-1])) - {"%%"})
        for text in targets:
            if "%" in directive.sub("", text) or sorted(set(directive.findall(text)) - {"%%"}) != wanted:
                bad.append(e.msgid)
    assert bad == []
