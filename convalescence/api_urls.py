"""API routes of the convalescence app, mounted under /api/v1/."""

app_name = "convalescence_api"
urlpatterns = []
