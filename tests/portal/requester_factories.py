"""Factories for the requester portal tests (kept apart from conftest.py, which other portal
tests share)."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client

from labeling.models import LabelingJob
from marketplace.models import Workteam
from marketplace.services.email_invitations import email_invitation_accept, email_invitation_create
from marketplace.services.workteams import public_workforce

from .conftest import signed_in

HOSTILE = "<script>alert(1)</script>"
JOIN_LINK = re.compile(r"https?://[^/\s]+(/portal/join/\S+)")


def admin_client(created) -> Client:
    """A portal client signed in as the admin ``requester_create`` printed."""
    return signed_in(created.admin_username, created.admin_password)


def make_job(
    requester,
    *,
    name: str,
    workteam: Workteam | None = None,
    status: str = "in_progress",
    objects_total: int = 0,
    human_labeled: int = 0,
    failed_objects: int = 0,
) -> LabelingJob:
    """A labeling job row as ingestion leaves it (no storage: the dashboard reads only the row)."""
    return LabelingJob.objects.create(
        requester=requester,
        name=name,
        label_attribute_name="label",
        task_type="text-classification",
        input_manifest_uri="file://in/manifest.jsonl",
        output_uri="file://out/",
        title=f"title of {name}",
        workteam=workteam or public_workforce(),
        workers_per_object=3,
        min_workers_per_object=3,
        max_workers_per_object=3,
        task_time_limit_seconds=300,
        task_availability_lifetime_seconds=86400,
        reward_micros=50_000,
        auto_approval_delay_seconds=3600,
        status=status,
        objects_total=objects_total,
        human_labeled=human_labeled,
        failed_objects=failed_objects,
    )


def last_join_path() -> str:
    """The path of the join link in the latest email."""
    return JOIN_LINK.search(mail.outbox[-1].body).group(1)


def join_by_email(workteam: Workteam, email: str, username: str):
    """An invitee who accepted with a new account: ``(worker, token)``."""
    email_invitation_create(
        workteam=workteam, email=email, accept_url=lambda token: f"http://testserver/portal/join/{token}"
    )
    token = last_join_path().rsplit("/", 1)[1]
    return email_invitation_accept(token=token, username=username)
