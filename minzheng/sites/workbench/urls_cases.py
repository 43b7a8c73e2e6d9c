"""Workbench pages: cases (included by urls.py)."""

urlpatterns = []
