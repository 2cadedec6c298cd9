"""Mobile pages of the benefits app."""

app_name = "benefits"
urlpatterns = []
