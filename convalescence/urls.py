"""Mobile pages of the convalescence app."""

app_name = "convalescence"
urlpatterns = []
