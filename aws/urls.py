from django.urls import re_path

from .views import aws_endpoint

urlpatterns = [re_path(r"^aws/?$", aws_endpoint, name="aws")]
