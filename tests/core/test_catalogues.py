"""Every zh-hans catalogue is complete: no string waits for its translation, none is a guess."""

from pathlib import Path

import pytest
from django.conf import settings

CATALOGUES = sorted(Path(settings.BASE_DIR).glob("*/locale/zh_Hans/LC_MESSAGES/django.po")) + [
    Path(settings.BASE_DIR) / "locale/zh_Hans/LC_MESSAGES/django.po"
]


def _entries(catalogue: Path):
    """(flags, msgid, msgstr) of each live entry; the header and obsolete (#~) entries left out."""
    for block in catalogue.read_text().split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        flags = " ".join(line for line in lines if line.startswith("#,"))
        fields, current = {}, None
        for line in lines:
            if line.startswith(("msgid ", "msgid_plural ", "msgstr ", "msgstr[")):
                current, _space, value = line.partition(" ")
                fields[current] = value[1:-1]
            elif line.startswith('"') and current:
                fields[current] += line[1:-1]
        if fields.get("msgid"):
            yield flags, fields["msgid"], fields.get("msgstr", fields.get("msgstr[0]", ""))


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda path: str(path.relative_to(settings.BASE_DIR)))
def test_every_string_is_translated_and_none_is_fuzzy(catalogue):
    entries = list(_entries(catalogue))
    assert len(entries) > 50
    assert [msgid for flags, msgid, _ in entries if "fuzzy" in flags] == []
    assert [msgid for _, msgid, msgstr in entries if not msgstr] == []


def _compiled(catalogue: Path) -> dict:
    """The compiled catalogue's singular entries, keyed as gettext keys them ("context\x04msgid")."""
    import gettext

    with open(catalogue.with_suffix(".mo"), "rb") as compiled:
        entries = gettext.GNUTranslations(compiled)._catalog
    return {key: text for key, text in entries.items() if isinstance(key, str) and key}


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda path: str(path.relative_to(settings.BASE_DIR)))
def test_every_string_shows_as_its_own_catalogue_translates_it(catalogue):
    """Django merges every catalogue into one, the project's first, then the apps' in the order
    they are installed (Django's own among them). A string two catalogues translate differently
    shows one translation everywhere: a coupon batch once read "休息中" like a station. Strings
    that mean different things in different places carry a context (pgettext)."""
    from django.utils import translation

    differs = []
    with translation.override("zh-hans"):
        for key, text in _compiled(catalogue).items():
            context, _separator, msgid = key.rpartition("\x04")
            shown = translation.pgettext(context, msgid) if context else translation.gettext(msgid)
            if shown != text:
                differs.append((key.replace("\x04", " | "), text, shown))
    assert differs == []
