from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .lockout import LockedOut, authenticate_with_lockout


class PhoneLoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Mobile number"), max_length=20,
        widget=forms.TextInput(attrs={"autofocus": True, "inputmode": "tel", "autocomplete": "tel"}),
    )
    error_messages = {
        "invalid_login": _("The mobile number or password is wrong."),
        "inactive": _("This account is disabled."),
        "locked_out": _("Too many failed attempts. Please try again later."),
    }

    def clean(self):
        phone = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if phone and password:
            try:
                self.user_cache = authenticate_with_lockout(self.request, phone, password)
            except LockedOut:
                raise forms.ValidationError(self.error_messages["locked_out"], code="locked_out") from None
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data
