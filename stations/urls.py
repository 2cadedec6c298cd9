"""Mobile pages of the stations app."""

app_name = "stations"
urlpatterns = []
