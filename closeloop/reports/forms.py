"""The customer 8D template upload form (used by the admin): the file must be a real DOCX and must fill
in with a sample report before it is stored."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from closeloop.core.errors import ValidationFailed
from closeloop.reports.models import ReportTemplate


class ReportTemplateForm(forms.ModelForm):
    class Meta:
        model = ReportTemplate
        fields = ["name", "customer", "file", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Imported here, as in clean_file: the admin imports this module in every process (the worker too),
        # and the 8D modules load python-docx, docxtpl and Pillow.
        from closeloop.reports.eightd.context import context_fields

        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "A Word (.docx) document with fields such as {{ complaint.number }} and table rows such as "
            "{%%tr for r in d3_rows %%}. Fields: %(fields)s."
        ) % {"fields": ", ".join(context_fields())}

    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        # Only a newly uploaded file is checked; an unchanged one was checked when it was uploaded.
        if isinstance(upload, UploadedFile):
            from closeloop.reports.eightd.templates import report_template_validate

            try:
                report_template_validate(upload)
            except ValidationFailed as exc:
                raise ValidationError([str(m) for ms in exc.fields.values() for m in ms]) from exc
            upload.seek(0)
        return upload
