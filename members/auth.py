from django.contrib.auth.backends import ModelBackend

from .models import User, phone_hash


class PhoneBackend(ModelBackend):
    """Log in with a mainland mobile number: the user is found through the keyed hash."""

    def authenticate(self, request, username=None, password=None, phone=None, **kwargs):
        phone = phone or username
        if not phone or password is None:
            return None
        try:
            user = User.objects.get(phone_hash=phone_hash(phone))
        except User.DoesNotExist:
            User().set_password(password)  # same cost as a real check: no timing oracle
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
