from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.report_list, name="list"),
    path("new/", views.report_create, name="create"),
    path("preview/", views.markdown_preview, name="preview"),
    path("<int:pk>/", views.report_detail, name="detail"),
    path("<int:pk>/edit/", views.report_edit, name="edit"),
    path("<int:pk>/publish/", views.report_publish, name="publish"),
    path("<int:pk>/retract/", views.report_retract, name="retract"),
    path("<int:pk>/history/", views.report_history, name="history"),
    path("<int:pk>/comments/", views.comment_create, name="comment"),
    path("<int:pk>/attachments/", views.attachment_upload, name="attachment_upload"),
    path("attachments/<uuid:uuid>/", views.attachment_download, name="attachment"),
]
