"""Forms of the members' mobile pages; the rules live in services, these only collect input."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import WorkerCategory


class JoinForm(forms.Form):
    name = forms.CharField(label=_("Real name"), max_length=64, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    id_number = forms.CharField(
        label=_("Resident ID number"), max_length=18, min_length=18,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text", "autocapitalize": "characters"}),
    )
    phone = forms.CharField(
        label=_("Mobile number"), max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    password = forms.CharField(
        label=_("Password"), min_length=8, max_length=128, strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not only digits."),
    )
    organization = forms.IntegerField(label=_("Grassroots union"), widget=forms.HiddenInput, required=False)
    union_query = forms.CharField(label=_("Search your union"), max_length=64, required=False)
    worker_category = forms.ChoiceField(label=_("Worker category"), choices=WorkerCategory.choices)
    is_frontline = forms.BooleanField(label=_("I am a front-line worker"), required=False)
    is_technical = forms.BooleanField(label=_("I am a technical worker"), required=False)
    consent = forms.BooleanField(label=_("I have read and agree to the processing of my sensitive personal information"),
                                 required=False)
    consent_version = forms.CharField(widget=forms.HiddenInput, required=False)


class PhoneChangeForm(forms.Form):
    new_phone = forms.CharField(label=_("New mobile number"), max_length=20,
                                widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
    password = forms.CharField(label=_("Your password"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class EraseForm(forms.Form):
    password = forms.CharField(label=_("Your password"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    confirm = forms.BooleanField(label=_("I want to leave the union and have my personal data erased. This cannot be undone."))
