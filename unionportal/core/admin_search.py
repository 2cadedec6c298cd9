"""Back-office searches for one exact value (a card number, a code, a claim number), each
answered by an index."""

from django.contrib.admin.utils import get_fields_from_path
from django.core.exceptions import ValidationError
from django.db import connection, models


class ExactSearchMixin:
    """ModelAdmin mixin: the search text, trimmed, must equal one of `search_fields`.

    The fields are named without a prefix (`"pk"`, `"member__card_number"`). Django's own
    `"=field"` compares `UPPER()` of both sides and an id as text, which no index serves: at a
    city's millions of rows each such search read the whole table. Here each field is compared
    on its own, through its index, for this model's ids (one small query per field; a related
    field joined from its own index), and the page is those ids.
    """

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        ids = set()
        for path in self.get_search_fields(request):
            value = _comparable(self.model, path, term)
            if value is not None:
                ids.update(self.model._default_manager.filter(**{path: value}).values_list("pk", flat=True))
        return queryset.filter(pk__in=ids), False


def _comparable(model, path: str, term: str):
    """`term` as a value of the field at `path`, or None when no value of that field could equal it."""
    field = get_fields_from_path(model, path)[-1]
    try:
        value = field.to_python(term)
    except ValidationError:
        return None
    if isinstance(field, models.IntegerField):
        low, high = connection.ops.integer_field_range(field.get_internal_type())
        if not (low is None or low <= value) or not (high is None or value <= high):
            return None  # PostgreSQL would refuse the number rather than find nothing
    if isinstance(field, models.CharField) and field.max_length and len(value) > field.max_length:
        return None
    return value
