"""API routes of the members app, mounted under /api/v1/."""

app_name = "members_api"
urlpatterns = []
