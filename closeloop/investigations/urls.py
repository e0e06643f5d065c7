from django.urls import path

from closeloop.investigations import views

app_name = "investigations"
urlpatterns = [
    path("", views.InvestigationListView.as_view(), name="list"),
    path("<str:number>/", views.InvestigationDetailView.as_view(), name="detail"),
    path("<str:number>/steps/<int:step>/", views.StepFormView.as_view(), name="step"),
    path("<str:number>/steps/<int:step>/<str:decision>/", views.StepDecisionView.as_view(), name="decide"),
    path("<str:number>/team/", views.TeamMemberView.as_view(), name="team"),
    path("<str:number>/signoff/<str:kind>/", views.SignoffView.as_view(), name="signoff"),
    path("<str:number>/cancel/", views.CaseCancelView.as_view(), name="cancel"),
    path("<str:number>/actions/", views.CaseActionCreateView.as_view(), name="action_add"),
]
