"""Logging filters: what the portal logs about a request carries no clear ID or mobile number."""

import logging

from .pii import mask_personal_numbers


class MaskPersonalNumbers(logging.Filter):
    """Mask ID- and mobile-shaped numbers in a record's message and arguments.

    On Django's request loggers, whose warnings name the request's path ("Not Found: /…"), as
    gunicorn's access lines are masked (`unionportal.access_log`).
    """

    def filter(self, record):
        if isinstance(record.msg, str):
            record.msg = mask_personal_numbers(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(mask_personal_numbers(arg) if isinstance(arg, str) else arg for arg in record.args)
        return True
