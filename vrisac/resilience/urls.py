from django.urls import path

from . import views

app_name = "resilience"

urlpatterns = [
    path("", views.index, name="index"),
    # self-assessment and benchmark
    path("assessment/<str:period>/", views.assessment, name="assessment"),
    path("assessment/<str:period>/actions/", views.action_create, name="action_create"),
    path("actions/<int:pk>/", views.action_update, name="action_update"),
    path("history/", views.history, name="history"),
    path("history/chart.svg", views.history_chart, name="history_chart"),
    path("benchmark/", views.benchmark_page, name="benchmark"),
    path("benchmark/<str:period>/chart.svg", views.benchmark_chart, name="benchmark_chart"),
    path("corrections/", views.corrections, name="corrections"),
    path("corrections/<int:pk>/", views.correction_decide, name="correction_decide"),
    # NIS2 incident reporting
    path("nis2/", views.nis2_list, name="nis2_list"),
    path("nis2/start/<int:report_id>/", views.nis2_start, name="nis2_start"),
    path("nis2/<int:pk>/", views.nis2_detail, name="nis2_detail"),
    path("nis2/<int:pk>/stages/<int:stage_id>/", views.nis2_submit, name="nis2_submit"),
    path("nis2/<int:pk>/request/", views.nis2_request, name="nis2_request"),
    path("nis2/<int:pk>/update/", views.nis2_update, name="nis2_update"),
    path("nis2/<int:pk>/export.<str:fmt>", views.nis2_export, name="nis2_export"),
    # incident pictures
    path("incidents/", views.picture_list, name="pictures"),
    path("incidents/<int:report_id>/", views.picture, name="picture"),
    path("incidents/<int:report_id>/start/", views.picture_start, name="picture_start"),
    path("incidents/<int:report_id>/summary/", views.picture_summary, name="picture_summary"),
    path("incidents/<int:report_id>/updates/", views.picture_update, name="picture_update"),
    path("incidents/<int:report_id>/follow/", views.picture_follow, name="picture_follow"),
    path("incidents/<int:report_id>/briefing.pdf", views.picture_pdf, name="picture_pdf"),
    # advice
    path("advice/", views.advice_list, name="advice"),
    path("advice/new/", views.advice_new, name="advice_new"),
    path("advice/link/", views.advice_link, name="advice_link"),
    path("advice/<int:pk>/adoption/", views.adoption, name="adoption"),
    # requests for information
    path("questions/", views.rfi_list, name="rfi_list"),
    path("questions/new/", views.rfi_new, name="rfi_new"),
    path("questions/<int:pk>/", views.rfi_detail, name="rfi_detail"),
    path("questions/<int:pk>/close/", views.rfi_close, name="rfi_close"),
    # meetings
    path("meetings/", views.meeting_list, name="meetings"),
    path("meetings/new/", views.meeting_new, name="meeting_new"),
    path("meetings/<int:pk>/", views.meeting, name="meeting"),
    path("meetings/<int:pk>/attendance/", views.meeting_attendance, name="meeting_attendance"),
    path("meetings/<int:pk>/minutes/", views.minutes_add, name="minutes_add"),
    path("meetings/<int:pk>/minutes/publish/", views.minutes_publish, name="minutes_publish"),
    # strategic picture
    path("strategic/", views.strategic_page, name="strategic"),
    path("strategic/<str:period>/<str:name>.svg", views.strategic_chart,
         name="strategic_chart"),
    path("strategic/<str:period>/report.pdf", views.strategic_pdf, name="strategic_pdf"),
]
