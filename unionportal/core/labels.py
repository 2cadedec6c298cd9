"""Choice labels in the active language, translated once per language per process.

A list answer shows a label per row; translating the lazy labels again for every answer
(or every row) cost a tenth of a station list's time and of "my coupons"."""

from django.utils import translation

_LABELS: dict[tuple, dict] = {}


def choice_labels(choices) -> dict:
    """{value: label} of a Choices class (its `.choices`), in the active language."""
    key = (choices, translation.get_language())
    labels = _LABELS.get(key)
    if labels is None:
        labels = _LABELS[key] = {value: str(label) for value, label in choices.choices}
    return labels
