from django.urls import path

from . import requester_views as v

urlpatterns = [
    path("", v.dashboard, name="requester_dashboard"),
]
