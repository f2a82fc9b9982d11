"""Reporting reads other apps' rows; it owns no tables of its own.

`ProgramReport` is a proxy of `programs.Program` so that the report has its own place (and its
own view permission) in Django admin, next to but separate from editing programs.
"""

from programs.models import Program


class ProgramReport(Program):
    class Meta:
        proxy = True
        verbose_name = "Program report"
        verbose_name_plural = "Program reports"
        # Reports are read-only: only the view permission means anything for them.
        default_permissions = ("view",)
