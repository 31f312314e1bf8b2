from django.urls import path

from . import views

app_name = "organisations"

urlpatterns = [
    path("", views.members, name="members"),
    path("<int:pk>/end/", views.member_end, name="end"),
    path("<int:pk>/hand-over/", views.member_hand_over, name="hand_over"),
    path("locked/<int:user_pk>/unlock/", views.account_unlock, name="unlock"),
]
