from django.urls import path

from scheduling import views

urlpatterns = [
    path("matches/<int:match_id>/book/", views.match_book, name="match_book"),
    path("groups/<int:group_id>/book/", views.group_book, name="group_book"),
]
