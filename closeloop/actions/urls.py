from django.urls import path

from closeloop.actions import views

app_name = "actions"
urlpatterns = [
    path("", views.ActionListView.as_view(), name="list"),
    path("mine/", views.MyActionsView.as_view(), name="mine"),
    path("complaint/<str:number>/", views.ActionCreateView.as_view(), name="create"),
    path("<int:action_id>/", views.ActionDetailView.as_view(), name="detail"),
    path("<int:action_id>/comments/", views.ActionCommentView.as_view(), name="comment"),
    path("<int:action_id>/evidence/", views.ActionEvidenceView.as_view(), name="evidence"),
    path("<int:action_id>/<str:step>/", views.ActionStepView.as_view(), name="step"),
]
