"""Routes of the labeling app, included under ``/api/v1/`` by ``config/urls.py``."""

from django.urls import path

import marketplace.api.urls  # noqa: F401  registers the <id:> converter

from . import file_views
from .api.views import labeling_jobs

urlpatterns = [
    path("labeling-jobs", labeling_jobs.LabelingJobsView.as_view()),
    path("labeling-jobs/<id:job_id>", labeling_jobs.LabelingJobDetailView.as_view()),
    path("labeling-jobs/<id:job_id>/stop", labeling_jobs.LabelingJobStopView.as_view()),
    path("labeling-jobs/<id:job_id>/objects", labeling_jobs.LabelingJobObjectsView.as_view()),
    path("labeling-jobs/<id:job_id>/automated-labeling", labeling_jobs.LabelingJobAutomationView.as_view()),
    path("worker/objects/<str:token>", file_views.storage_object, name="labeling-storage-object"),
]
