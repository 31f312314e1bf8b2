from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("tokens/new/", views.token_create, name="token_create"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("sessions/end-others/", views.sessions_end_others, name="sessions_end_others"),
    path("change/<str:token>/", views.change_confirm, name="change_confirm"),
]
