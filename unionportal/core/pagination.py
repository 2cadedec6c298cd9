"""The API's one pagination: `{"count", "next", "previous", "results"}`, page numbers.

Counting is what makes big lists slow, so:
- a first page that holds the whole list is counted from its own rows (no COUNT query);
- otherwise the count stops at COUNT_CAP: `count` is exact up to 10,000 and reads 10,000
  above that (pages reach the first 10,000 rows; narrow the search for more). A nearest-first
  station search or a city's member list never counts a whole table;
- public lists whose rows change rarely (the station search) may keep their counts in the
  cache for a short while (`count_cache_seconds`): the count of a nearest-first search does
  not depend on where the phone stands, and counting 10,000 rows cost more than the page.
  A count kept by name is also held in each process for LOCAL_COUNT_SECONDS more.
"""

import hashlib

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property
from rest_framework.pagination import PageNumberPagination

from .answers import json_answer
from .held import held_or_fetched, hold

COUNT_CAP = 10_000
# A named count is also kept in each process for a few seconds: asking the shared cache for it
# was a Redis round trip on every "stations near me".
LOCAL_COUNT_SECONDS = 5


class CappedPaginator(Paginator):
    """Paginator whose count is exact up to COUNT_CAP and COUNT_CAP beyond it."""

    count_cache_seconds = 0
    count_key = None  # names the count in the cache, where compiling its SQL would cost more

    @cached_property
    def count(self):
        key = f"count:{self.count_key}" if self.count_key and self.count_cache_seconds else None
        if key and (count := held_or_fetched(key, lambda: cache.get(key), LOCAL_COUNT_SECONDS)) is not None:
            return count  # found by its name, without building or compiling the count
        if callable(self.object_list):  # a queryset not built until needed (StandardPagination)
            self.object_list = self.object_list()
        if isinstance(self.object_list, list) or not hasattr(self.object_list, "query"):
            return len(self.object_list)
        queryset = self.object_list.order_by().values("pk")[:COUNT_CAP]
        try:
            sql, params = queryset.query.sql_with_params()
        except EmptyResultSet:  # a filter that can match nothing
            return 0
        count_sql = f"SELECT count(*) FROM ({sql}) AS capped"
        if not self.count_cache_seconds:
            return self._count(queryset.db, count_sql, params)
        if key is None:
            key = "count:" + hashlib.sha256(repr((queryset.db, count_sql, params)).encode()).hexdigest()
            if (count := cache.get(key)) is not None:
                return count
        count = self._count(queryset.db, count_sql, params)
        cache.set(key, count, self.count_cache_seconds)
        if self.count_key:
            hold(key, count, LOCAL_COUNT_SECONDS)
        return count

    @staticmethod
    def _count(alias, sql, params) -> int:
        with connections[alias].cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()[0]


class BrieflyCachedCountPaginator(CappedPaginator):
    count_cache_seconds = 60


class StandardPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    django_paginator_class = CappedPaginator

    def paginate_queryset(self, queryset, request, view=None, first_rows=None, count_key=None):
        """`first_rows(limit)`, if given, answers the queryset's first rows the faster way;
        `count_key`, if given, names the first page's count where the paginator caches it.
        With `first_rows`, `queryset` may be a function that builds it: only a later page, or
        counting a full first page whose count is not held by name, needs the queryset."""
        page_size = self.get_page_size(request)
        if not page_size or request.query_params.get(self.page_query_param, "1") not in ("1", ""):
            return super().paginate_queryset(queryset() if callable(queryset) else queryset, request, view)
        # First page: fetch one row more than fits; a short page needs no COUNT at all.
        rows = first_rows(page_size + 1) if first_rows else list(queryset[: page_size + 1])
        paginator = self.django_paginator_class(rows if len(rows) <= page_size else queryset, page_size)
        paginator.count_key = count_key
        self.page = paginator._get_page(rows[:page_size], 1, paginator)
        self.request = request
        return list(self.page)

    def get_paginated_response(self, data):
        """PageNumberPagination's answer, written at once (core.answers)."""
        return json_answer(self.request, {
            "count": self.page.paginator.count, "next": self.get_next_link(),
            "previous": self.get_previous_link(), "results": data,
        })


class PublicListPagination(StandardPagination):
    """For public lists of rarely changing rows: the count may be up to a minute old."""

    django_paginator_class = BrieflyCachedCountPaginator
