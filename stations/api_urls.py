"""API routes of the stations app, mounted under /api/v1/."""

app_name = "stations_api"
urlpatterns = []
