"""Forms of the imports blueprint."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, SubmitField

from ..forms import Form


class ImportForm(Form):
    """The workbook to import, and whether only to check it."""

    file = FileField(
        _l("Workbook (.xlsx)"),
        validators=[
            FileRequired(_l("Choose a file.")),
            FileAllowed(["xlsx"], _l("Only .xlsx workbooks can be imported.")),
        ],
    )
    dry_run = BooleanField(_l("Check only (dry run): report the errors, write nothing"))
    submit = SubmitField(_l("Import"))
