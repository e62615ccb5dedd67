"""Routes of the labeling app, included under ``/api/v1/`` by ``config/urls.py``."""

from django.urls import path

import marketplace.api.urls  # noqa: F401  registers the <id:> converter

from . import api, file_views

urlpatterns = [
    path("labeling-jobs", api.LabelingJobsView.as_view()),
    path("labeling-jobs/<id:job_id>", api.LabelingJobDetailView.as_view()),
    path("labeling-jobs/<id:job_id>/stop", api.LabelingJobStopView.as_view()),
    path("worker/objects/<str:token>", file_views.storage_object, name="labeling-storage-object"),
]
