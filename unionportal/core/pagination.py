"""The API's one pagination: `{"count", "next", "previous", "results"}`, page numbers.

Counting is what makes big lists slow, so:
- a first page that holds the whole list is counted from its own rows (no COUNT query);
- otherwise the count stops at COUNT_CAP: `count` is exact up to 10,000 and reads 10,000
  above that (pages reach the first 10,000 rows; narrow the search for more). A nearest-first
  station search or a city's member list never counts a whole table.
"""

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property
from rest_framework.pagination import PageNumberPagination

COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """Paginator whose count is exact up to COUNT_CAP and COUNT_CAP beyond it."""

    @cached_property
    def count(self):
        if isinstance(self.object_list, list) or not hasattr(self.object_list, "query"):
            return len(self.object_list)
        queryset = self.object_list.order_by().values("pk")[:COUNT_CAP]
        try:
            sql, params = queryset.query.sql_with_params()
        except EmptyResultSet:  # a filter that can match nothing
            return 0
        with connections[queryset.db].cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM ({sql}) AS capped", params)
            return cursor.fetchone()[0]


class StandardPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    django_paginator_class = CappedPaginator

    def paginate_queryset(self, queryset, request, view=None):
        page_size = self.get_page_size(request)
        if not page_size or request.query_params.get(self.page_query_param, "1") not in ("1", ""):
            return super().paginate_queryset(queryset, request, view)
        # First page: fetch one row more than fits; a short page needs no COUNT at all.
        rows = list(queryset[: page_size + 1])
        paginator = self.django_paginator_class(rows if len(rows) <= page_size else queryset, page_size)
        self.page = paginator._get_page(rows[:page_size], 1, paginator)
        self.request = request
        return list(self.page)
