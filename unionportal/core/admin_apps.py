from django.contrib.admin.apps import AdminConfig


class BackOfficeAdminConfig(AdminConfig):
    """django.contrib.admin with the back office's own site (core.admin_site) as `admin.site`."""

    default_site = "unionportal.core.admin_site.BackOfficeSite"
