"""The bearer-token lookup: every member request starts with it.

One query answers the whole request's "who is this": the token, its user, their membership and
its union (three joins), without the columns no request reads from them (`NOT_LOADED`). It is
compiled to SQL once per process (core.compiled) and, inside the API's prepared-statement views,
planned once per connection (core.prepared): planning four joins cost PostgreSQL more than
answering them.
"""

from datetime import datetime, timezone as dt_timezone

from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone

from .compiled import CompiledQuery
from .models import ApiToken
from .prepared import prepared_statements

# Read by no request that starts from its token: each column left out is one PostgreSQL does not
# write and the process does not parse (five are timestamps, parsed in Python). Should one be read
# after all, Django loads it then, with a query of its own.
NOT_LOADED = (
    "created_at",
    "user__password", "user__last_login", "user__date_joined", "user__phone_hash",
    "user__member__id_number_hash", "user__member__left_at", "user__member__erased_at",
    "user__member__organization__numchild", "user__member__organization__division_code",
    "user__member__organization__credit_code", "user__member__organization__search_tokens",
)

_TOKEN = CompiledQuery(
    lambda token_hash, now: ApiToken.objects.select_related("user__member__organization").defer(*NOT_LOADED).filter(
        token_hash=token_hash, expires_at__gt=now,
    ),
    binary_rows=True, token_hash="token-hash-placeholder", now=datetime(2000, 1, 1, tzinfo=dt_timezone.utc),
)


def token_find(token_hash: str) -> ApiToken | None:
    """The unexpired token with this hash, its user, membership and union loaded; or None."""
    alias = DEFAULT_DB_ALIAS  # tokens are read where they are written: a fresh login must work at once
    with prepared_statements(alias):
        return _TOKEN.first(alias, token_hash=token_hash, now=timezone.now())
