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
