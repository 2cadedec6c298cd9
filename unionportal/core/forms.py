from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class PhoneLoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Mobile number"), max_length=20,
        widget=forms.TextInput(attrs={"autofocus": True, "inputmode": "tel", "autocomplete": "tel"}),
    )
    error_messages = {
        "invalid_login": _("The mobile number or password is wrong."),
        "inactive": _("This account is disabled."),
    }
