"""Run only by tests/core/test_log_privacy.py, in a pytest of its own: a passing test that logs
a clear ID number and a clear mobile number, which must make that whole run fail."""

import logging
import os


def test_logs_personal_numbers_in_clear():
    logger = logging.getLogger("unionportal.sms")
    logger.info("SMS planted to %s about %s", os.environ["PLANTED_PHONE"], os.environ["PLANTED_ID_NUMBER"])
