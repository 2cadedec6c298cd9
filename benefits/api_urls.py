"""API routes of the benefits app, mounted under /api/v1/."""

app_name = "benefits_api"
urlpatterns = []
