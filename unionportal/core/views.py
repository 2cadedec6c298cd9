from django.contrib.auth import views as auth_views
from django.http import HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.views.defaults import page_not_found

from .forms import PhoneLoginForm

# The home page's tiles: (title, description, url name). A tile whose page is not there
# yet is left out, so the home page never links to a 404.
HOME_TILES = [
    (_("Find a station"), _("Nearest rest stations that are open now"), "stations:map"),
    (_("Join the union"), _("Apply for membership online"), "members:join"),
    (_("My membership card"), _("Show your digital card"), "members:card"),
    (_("Welfare coupons"), _("Claim coupons and see yours"), "benefits:coupons"),
    (_("Convalescence trips"), _("Sessions you can join"), "convalescence:sessions"),
    (_("Medical mutual aid"), _("File and follow your claims"), "benefits:aid"),
]


def hello(request):
    """The smallest Django answer: the benchmarks' yardstick."""
    return HttpResponse("hello", content_type="text/plain")


def not_found(request, exception=None):
    """404 for unmatched paths: the API answers in its JSON error shape, pages as HTML."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(_("Not found.")), "code": "not_found"}, status=404)
    return page_not_found(request, exception)


def favicon(request):
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))


def home(request):
    tiles = []
    for title, description, url_name in HOME_TILES:
        try:
            tiles.append({"title": title, "description": description, "url": reverse(url_name)})
        except NoReverseMatch:
            continue
    return render(request, "core/home.html", {"tiles": tiles})


class LoginView(auth_views.LoginView):
    template_name = "core/login.html"
    authentication_form = PhoneLoginForm
    redirect_authenticated_user = True
