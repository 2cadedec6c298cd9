"""Mobile pages for mutual aid: the plan's terms in words, enrolment, filing a claim with
photos from the phone, and following a claim with its timeline and breakdown."""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _
from django.views.decorators.http import require_POST

from unionportal.core.errors import DomainError

from . import aid_rules
from .aid_documents import document_read
from . import aid_selectors as selectors
from . import aid_services as services
from .models import AidClaim, AidClaimKind

MAX_UPLOADS = 10


def _member(request):
    return getattr(request.user, "member", None) if request.user.is_authenticated else None


def _percent(rate) -> str:
    return f"{(Decimal(rate) * 100).normalize():f}%"


def _plan_terms_rows(plan) -> list[dict]:
    """The scale as rows a member can read: "0 – 10,000 元: 30 %"."""
    rows, lower = [], Decimal("0")
    for segment in plan.segments:
        upper = None if segment["up_to"] is None else Decimal(segment["up_to"])
        rows.append({"lower": lower, "upper": upper, "rate": _percent(segment["rate"])})
        lower = upper if upper is not None else lower
    return rows


EXAMPLE_SELF_PAID = Decimal("50000.00")


def _example(plan) -> dict:
    """A first stay of the year with 50,000 self-paid, worked out with the plan's own terms."""
    facts = aid_rules.AidClaimFacts(aid_rules.AidKind.HOSPITALISATION, EXAMPLE_SELF_PAID, 7)
    payout = aid_rules.aid_payout(facts, plan.terms())
    return {"self_paid": EXAMPLE_SELF_PAID, "amount": payout.amount,
            "lines": selectors.aid_breakdown_lines(payout.breakdown())}


def aid(request):
    """Plans and their terms for everyone; enrolments and claims for the logged-in member."""
    member = _member(request)
    plans = list(selectors.aid_plans_listed(today=timezone.localdate())[:5])
    enrolled = set()
    claims = []
    if member is not None:
        enrolled = set(selectors.aid_enrolments_of(member).values_list("plan_id", flat=True))
        claims = list(selectors.aid_claims_visible_to(request.user).filter(member=member)
                      .order_by("-submitted_at", "-pk")[:50])
    for plan in plans:
        plan.rows = _plan_terms_rows(plan)
        plan.is_enrolled = plan.pk in enrolled
        plan.accident_rate = _percent(plan.accident_terms["rate"]) if plan.accident_terms else None
        plan.example = _example(plan)
    return render(request, "benefits/aid/index.html", {"plans": plans, "member": member, "claims": claims})


@login_required
@require_POST
def aid_enrol(request):
    member = _member(request)
    plan = selectors.aid_plans_listed(today=timezone.localdate()).filter(pk=request.POST.get("plan") or 0).first()
    if member is None or plan is None:
        raise Http404
    try:
        services.aid_enrolment_create(member=member, plan=plan, payment_reference=request.POST.get(
            "payment_reference", ""), actor=request.user)
        messages.success(request, gettext("You are enrolled in %(plan)s.") % {"plan": plan.title})
    except DomainError as error:
        messages.error(request, str(error.message))
    return redirect("benefits:aid")


class ClaimForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AidClaimKind.choices, initial=AidClaimKind.HOSPITALISATION)
    hospital = forms.CharField(label=_("Hospital"), max_length=128)
    admitted_on = forms.DateField(label=_("Admitted on"), widget=forms.DateInput(attrs={"type": "date"}))
    discharged_on = forms.DateField(label=_("Discharged on"), widget=forms.DateInput(attrs={"type": "date"}))
    total_cost = forms.DecimalField(label=_("Total cost (CNY)"), max_digits=12, decimal_places=2, min_value=0,
                                    widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}))
    insurance_paid = forms.DecimalField(label=_("Paid by basic medical insurance (CNY)"), max_digits=12,
                                        decimal_places=2, min_value=0,
                                        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}))
    self_paid = forms.DecimalField(label=_("Self-paid amount (CNY)"), max_digits=12, decimal_places=2, min_value=0,
                                   widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}))
    invoice_numbers = forms.CharField(label=_("Invoice numbers"), help_text=_("One per line, or separated by commas."),
                                      widget=forms.Textarea(attrs={"rows": 2}))
    payee_bank = forms.CharField(label=_("Bank for the payment"), max_length=64, required=False)
    payee_account = forms.CharField(label=_("Bank account number"), max_length=40, required=False,
                                    widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))

    def clean_invoice_numbers(self):
        raw = self.cleaned_data["invoice_numbers"].replace("，", ",").replace("\n", ",")
        return [number.strip() for number in raw.split(",") if number.strip()]


def _uploads(request):
    """(bytes, name) of the chosen files; an oversized one raises DomainError before it is read."""
    return [document_read(upload) for upload in request.FILES.getlist("documents")[:MAX_UPLOADS]]


@login_required
def aid_claim_new(request):
    member = _member(request)
    if member is None:
        raise Http404
    form = ClaimForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            documents = _uploads(request)
        except DomainError as error:
            documents = None
            form.add_error(None, str(error.message))
        if documents == []:
            form.add_error(None, gettext("Add at least one photo or PDF of your invoices and discharge summary."))
        elif documents:
            try:
                claim = services.aid_claim_submit(member=member, today=timezone.localdate(), documents=documents,
                                                  **form.cleaned_data)
            except DomainError as error:
                field = error.field if error.field in form.fields else None
                form.add_error(field, str(error.message))
            else:
                messages.success(request, gettext("Your claim was submitted."))
                return redirect("benefits:aid-claim", pk=claim.pk)
    return render(request, "benefits/aid/claim_form.html", {"form": form})


def _own_claim(request, pk) -> AidClaim:
    member = _member(request)
    claim = (selectors.aid_claims_visible_to(request.user).filter(pk=pk, member=member)
             .prefetch_related("events", "documents", "invoices").first() if member else None)
    if claim is None:
        raise Http404
    return claim


@login_required
def aid_claim(request, pk):
    claim = _own_claim(request, pk)
    context = {
        "claim": claim,
        "lines": selectors.aid_breakdown_lines(claim.breakdown),
        "may_add_documents": claim.status in (*AidClaim.OPEN_STATUSES, AidClaim.Status.RETURNED),
    }
    return render(request, "benefits/aid/claim.html", context)


@login_required
@require_POST
def aid_claim_documents(request, pk):
    claim = _own_claim(request, pk)
    try:
        uploads = _uploads(request)
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("benefits:aid-claim", pk=claim.pk)
    if not uploads:
        messages.error(request, gettext("Choose a photo or PDF first."))
    for data, name in uploads:
        try:
            services.aid_claim_document_add(claim=claim, actor=request.user, data=data, filename=name)
            messages.success(request, gettext("%(name)s uploaded.") % {"name": name})
        except DomainError as error:
            messages.error(request, f"{name}: {error.message}")
    return redirect("benefits:aid-claim", pk=claim.pk)


@login_required
@require_POST
def aid_claim_resubmit(request, pk):
    claim = _own_claim(request, pk)
    try:
        services.aid_claim_resubmit(claim_id=claim.pk, member=claim.member)
        messages.success(request, gettext("Your claim is back in review."))
    except DomainError as error:
        messages.error(request, str(error.message))
    return redirect("benefits:aid-claim", pk=claim.pk)
