from django.urls import path

from . import vendor_views as v

urlpatterns = [
    path("", v.dashboard, name="vendor_dashboard"),
]
