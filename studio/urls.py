from django.urls import path

from studio import views

urlpatterns = [
    path("", views.campaign_list, name="studio-list"),
    path("new/", views.new_campaign, name="studio-new"),
    path("<int:campaign_id>/", views.campaign_page, name="studio-campaign"),
    path("<int:campaign_id>/controls/", views.add_controls, name="studio-controls"),
    path("<int:campaign_id>/followup/", views.ask_followup, name="studio-followup"),
    path("<int:campaign_id>/<str:action>/", views.act, name="studio-action"),
]
