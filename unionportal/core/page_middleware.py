"""The pages' session, sign-in and messages layers, stood aside for API calls without cookies.

A partner system, a kiosk or the member app calls the API with a bearer token or a partner key
and sends no cookie. For such a call these three layers have nothing to do: there is no session
to load, so the signed-in user is anonymous, and there is no message to keep. Still they built
a session store, a lazy user and a message store on every call: about a tenth of a hello's
instructions. A request with any cookie, or to any page, goes through them as before. (CSRF
stays Django's own layer for every request: the deploy checks look for it by name.)
"""

from django.contrib.auth import middleware as auth
from django.contrib.messages import middleware as messages
from django.contrib.sessions import middleware as sessions

API_PREFIX = "/api/"


class PagesOnly:
    """A layer that lets a cookieless API call through untouched."""

    def __call__(self, request):
        if request.path_info.startswith(API_PREFIX) and not request.META.get("HTTP_COOKIE"):
            return self.get_response(request)
        return super().__call__(request)


class SessionMiddleware(PagesOnly, sessions.SessionMiddleware):
    pass


class AuthenticationMiddleware(PagesOnly, auth.AuthenticationMiddleware):
    pass


class MessageMiddleware(PagesOnly, messages.MessageMiddleware):
    pass
