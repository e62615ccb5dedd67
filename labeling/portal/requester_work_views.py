"""Requester pages for posting and paying for work: the labeling job form, the download of a
job's output manifest, and the balance with the ledger's statement. Thin: the form calls the
same services as ``POST /api/v1/labeling-jobs``, the download reads through the same storage
access as every other reader, and the statement shows the rows ``GET /api/v1/statement`` gives.
"""

from __future__ import annotations

import itertools
import re
from typing import cast

from django import forms
from django.contrib import messages
from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render

from marketplace.errors import DomainError
from marketplace.models import Organization
from marketplace.money import format_micros
from marketplace.selectors.ledger import requester_balance, requester_statement, statement_row
from marketplace.selectors.workteams import targetable_workteams

from ..access import access_labeling_job
from ..inputs import job_spec
from ..selectors.jobs import chainable_jobs
from ..selectors.storage import storage_prefixes
from ..services.jobs import job_create
from ..storage.access import access_storage
from ..task_types import TASK_TYPES
from .auth import PortalRequest, portal_page
from .words import word

REQUESTER = Organization.Kind.REQUESTER
STATEMENT_PAGE_SIZE = 50
MAX_OUTPUT_LINE_CHARS = 10_000_000  # an input line (≤ 100,000 characters) plus its labels, with room


class JobForm(forms.Form):
    """The fields of ``POST /api/v1/labeling-jobs`` a person fills in most often. Nothing is
    validated here beyond the form's shape: ``inputs.job_spec`` and ``job_create`` are the rules,
    and their field errors land on these fields (same names as the API's)."""

    name = forms.CharField(required=False, help_text="Letters, digits and hyphens; unique among your jobs.")
    task_type = forms.ChoiceField(
        required=False,
        # ``custom`` needs a template, which this form does not take (docs/templates.md: the API does).
        choices=[("", "Choose a task type")] + [(name, word(name)) for name in TASK_TYPES if name != "custom"],
    )
    label_attribute_name = forms.CharField(
        required=False, label="Label attribute name", help_text="The key the output manifest puts each label under."
    )
    source_label_attribute_name = forms.CharField(
        required=False,
        label="Source label attribute (verification and adjustment jobs)",
        help_text="For a verification or adjustment job: the input lines' attribute holding the labels to check "
        "or correct.",
    )
    label_categories = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Label categories",
        help_text="One per line (a verification job's verdicts: correct and incorrect when left empty).",
    )
    input_manifest_uri = forms.CharField(
        required=False, label="Input manifest URI", help_text="Left empty when the job chains from an ended job."
    )
    chain_from_job_id = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        label="Chain from an ended job (optional)",
        help_text="Its output manifest, each line with its labels, becomes this job's input.",
    )
    chain_below_confidence = forms.CharField(
        required=False,
        label="Only the objects below this confidence (chain, optional)",
        help_text="Between 0 and 1: the objects the ended job was less sure of, and those it did not label.",
    )
    chain_verdict = forms.CharField(
        required=False,
        label="Only the objects with this verdict (chain from a verification, optional)",
        help_text="Such as incorrect: the objects the verification judged so.",
    )
    output_uri = forms.CharField(required=False, label="Output URI", help_text="A folder: the job writes under it.")
    title = forms.CharField(required=False, help_text="What workers see first.")
    instructions = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    workteam_id = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Workteam")
    workers_per_object = forms.CharField(
        required=False, initial="3", label="Workers per object", widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )
    reward = forms.CharField(
        required=False,
        label="Reward per assignment (USD)",
        help_text='Such as "0.05"; left out on a vendor team (its price applies).',
    )
    target_confidence = forms.CharField(
        required=False, label="Target confidence (optional)", help_text="Between 0 and 1: turns on dynamic redundancy."
    )

    def __init__(self, *args, requester: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        teams = targetable_workteams(requester).order_by("kind", "name", "pk")
        field = cast(forms.TypedChoiceField, self.fields["workteam_id"])
        field.choices = [(team.pk, f"{team.name} ({word(team.kind)})") for team in teams]
        chain = cast(forms.TypedChoiceField, self.fields["chain_from_job_id"])
        chain.choices = [("", "No: read the input manifest")] + [
            (job.pk, f"{job.name} ({word(job.task_type)}, {word(job.status).lower()})")
            for job in chainable_jobs(requester)
        ]

    def job_body(self) -> dict:
        """The API body this form stands for: blank fields left out (so the service applies its
        defaults or says they are required), numbers as numbers when they read as numbers
        (otherwise passed as typed, for the service to refuse by name)."""
        data = self.cleaned_data
        body: dict = {
            key: data[key].strip()
            for key in (
                "name",
                "task_type",
                "label_attribute_name",
                "source_label_attribute_name",
                "input_manifest_uri",
                "output_uri",
                "title",
                "instructions",
                "reward",
            )
            if data.get(key, "").strip()
        }
        categories = [line.strip() for line in data.get("label_categories", "").splitlines() if line.strip()]
        if categories:
            body["label_categories"] = categories
        if data.get("workteam_id") is not None:
            body["workteam_id"] = data["workteam_id"]
        workers = data.get("workers_per_object", "").strip()
        if workers:
            body["workers_per_object"] = int(workers) if re.fullmatch(r"\d{1,6}", workers) else workers
        if data.get("chain_from_job_id") is not None:
            body["chain_from_job_id"] = data["chain_from_job_id"]
        select: dict = {}
        below = data.get("chain_below_confidence", "").strip()
        if below:
            try:
                select["below_confidence"] = float(below)
            except ValueError:
                select["below_confidence"] = below
        if data.get("chain_verdict", "").strip():
            select["verdict"] = data["chain_verdict"].strip()
        if select:
            body["chain_select"] = select
        target = data.get("target_confidence", "").strip()
        if target:
            try:
                body["target_confidence"] = float(target)
            except ValueError:
                body["target_confidence"] = target
        return body


# Where the service's message names the API's identifiers, the words the form uses instead.
FORM_MESSAGES = {
    "task_type": "Choose one of the task types listed.",
    "give either label_categories or label_category_config_uri": "Give the label categories, one per line.",
}
# API paths whose errors land on a form field of another name.
FORM_FIELDS = {"chain_select.below_confidence": "chain_below_confidence", "chain_select.verdict": "chain_verdict"}


def show_field_errors(form: forms.Form, error: DomainError) -> None:
    """A service's field errors on the form's fields: ``label_categories.2`` lands on
    ``label_categories``; a field the form does not have (or an error without fields) goes
    on the form as a whole, with the field's name."""
    if not error.fields:
        form.add_error("name" if error.code == "name_taken" else None, error.message)
    for path, problems in error.fields.items():
        field = FORM_FIELDS.get(path, path.split(".", 1)[0])
        for problem in problems:
            if field in form.fields:
                form.add_error(field, FORM_MESSAGES.get(field, FORM_MESSAGES.get(problem, problem)))
            else:
                form.add_error(None, f"{path}: {problem}")


@portal_page(REQUESTER)
def job_new(request: PortalRequest) -> HttpResponse:
    """The job form; a valid POST creates the job (as the API would) and opens its page."""
    requester = request.organization
    # "Chain a job on its output" on an ended job's page opens the form with it chosen.
    chain_from = request.GET.get("chain_from", "")
    initial = {"chain_from_job_id": chain_from} if chain_from.isdigit() else {}
    form = JobForm(request.POST or None, requester=requester, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            job = job_create(requester=requester, spec=job_spec(form.job_body()))
        except DomainError as error:
            show_field_errors(form, error)
        else:
            messages.success(request, f"Job “{job.name}” created: its manifest is being read.")
            return redirect("portal:requester_job", job.pk)
    return render(
        request,
        "portal/requester/job_new.html",
        {
            "section": "jobs",
            "form": form,
            "storage": storage_prefixes(requester),
        },
        status=400 if form.errors else 200,
    )


@portal_page(REQUESTER)
def job_output(request: PortalRequest, job_id: int) -> HttpResponseBase:
    """The job's output manifest, streamed from its storage through ``access_storage`` (the
    requester's own registrations): another requester's job is the portal's 404, and a job
    whose output is not written yet answers 404 with the reason."""
    job = access_labeling_job(request.organization, job_id)
    if not job.output_manifest_uri:
        return render(
            request, "portal/not_found.html", {"reason": "This job's output manifest is not written yet."}, status=404
        )
    try:
        handle = access_storage(request.organization, job.output_manifest_uri, field="output_manifest_uri")
        lines = handle.iter_lines(max_line_chars=MAX_OUTPUT_LINE_CHARS)
        first = next(lines, None)  # reach the storage now, so a failure is a page, not a cut download
    except DomainError as error:
        return render(
            request,
            "portal/not_found.html",
            {"title": "Output not available", "reason": f"The output manifest cannot be read: {error.message}"},
            status=error.status if 400 <= error.status < 500 else 503,
        )
    body = itertools.chain([] if first is None else [first], lines)
    response = StreamingHttpResponse((line + "\n" for line in body), content_type="application/jsonl; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{job.name}-output.manifest"'
    return response


@portal_page(REQUESTER)
def balance(request: PortalRequest) -> HttpResponse:
    """The balance (as ``GET /api/v1/balance``) and the statement's entries, newest first, 50 a
    page (the rows ``GET /api/v1/statement`` gives, through the same selector)."""
    requester = request.organization
    try:
        page = max(1, min(int(request.GET.get("page", "1")), 1_000_000))
    except ValueError:
        page = 1
    entries = requester_statement(requester).order_by("-pk")
    chunk = list(entries[(page - 1) * STATEMENT_PAGE_SIZE : page * STATEMENT_PAGE_SIZE + 1])
    figures = requester_balance(requester)
    return render(
        request,
        "portal/requester/balance.html",
        {
            "section": "balance",
            "available": format_micros(figures.available_micros),
            "on_hold": format_micros(figures.on_hold_micros),
            "rows": [
                {**statement_row(entry), "time": entry.transaction.created_at} for entry in chunk[:STATEMENT_PAGE_SIZE]
            ],
            "page": page,
            "has_next": len(chunk) > STATEMENT_PAGE_SIZE,
        },
    )
