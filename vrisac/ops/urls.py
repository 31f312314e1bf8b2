from django.urls import path

from . import views

app_name = "ops"

urlpatterns = [
    path("jobs/", views.jobs, name="jobs"),
    path("jobs/run/", views.job_run_now, name="run_now"),
    path("jobs/<int:pk>/", views.job_detail, name="job"),
]
