"""Builders for the members tests: applications as a worker would send them."""

import itertools
from datetime import date

from members.rules import id_number_check_character

_serial = itertools.count(500)


def new_id_number(division="350503", birth=date(1992, 3, 8)) -> str:
    body = f"{division}{birth:%Y%m%d}{next(_serial) % 1000:03d}"
    return body + id_number_check_character(body)


def new_phone() -> str:
    return f"136{next(_serial):08d}"


def application(union, **overrides) -> dict:
    data = {
        "name": "林志明", "id_number": new_id_number(), "phone": new_phone(), "password": "rider-pass-2026",
        "organization": union.pk, "worker_category": "delivery_rider", "is_frontline": True, "consent": True,
    }
    data.update(overrides)
    return data
