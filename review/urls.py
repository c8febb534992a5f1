from django.urls import path

from review import human_views, views

urlpatterns = [
    path("review/", views.home, name="review-home"),
    path("review/next/", views.next_item, name="review-next"),
    path("review/item/<int:pk>/", views.item_screen, name="review-item"),
    path("review/discussion/", views.discussion, name="review-discussion"),
    path("review/guide/<int:label_pk>/", views.guide, name="review-guide"),
    path("review/classes.json", views.classes_json, name="review-classes"),
    path("review/human/", views.human_sessions, name="human-sessions"),
    path("review/human/<slug:name>/", views.human_label, name="human-label"),
    path(
        "review/human/<slug:name>/examples/<int:index>/",
        human_views.examples,
        name="human-examples",
    ),
    path("review/human/<slug:name>/training/", human_views.training_pick, name="human-training"),
    path("review/human/<slug:name>/results/", human_views.results, name="human-results"),
]
