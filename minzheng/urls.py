from django.contrib import admin
from django.urls import include, path

from minzheng.sites.api.api import api

admin.site.site_header = "minzheng 系统管理"
admin.site.site_title = "minzheng"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("portal/", include("minzheng.sites.portal.urls")),
    path("", include("minzheng.sites.workbench.urls")),
]

handler404 = "minzheng.sites.workbench.errors.not_found"
handler403 = "minzheng.sites.workbench.errors.forbidden"
handler500 = "minzheng.sites.workbench.errors.server_error"
