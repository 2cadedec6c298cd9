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
