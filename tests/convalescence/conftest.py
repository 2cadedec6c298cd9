import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """These tests make many users; the password hash strength is not what they test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
