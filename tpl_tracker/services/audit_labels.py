"""How the audit trail names what it records, in the interface language: one label per action code, per record
type and per field. Every code that `audit.record` (or `bulk.insert_many` / `update_many`) writes has its label
here; tests/unit/test_audit_labels.py finds the codes in the source and fails on one without a label.
"""

from flask_babel import lazy_gettext as _l

# Every action the code records, by code.
ACTION_LABELS = {
    "access_denied": _l("Access refused"),
    "approve": _l("Approved"),
    "audit_exported": _l("Audit trail exported"),
    "business_created": _l("Business registered from a tracer survey"),
    "contract_created": _l("Contract created"),
    "contract_updated": _l("Contract changed"),
    "create": _l("Created"),
    "delete": _l("Deleted"),
    "export": _l("Exported as a file"),
    "facilitator_created": _l("TPL profile created"),
    "facilitator_updated": _l("TPL profile changed"),
    "import_queued": _l("Import queued"),
    "invitation_failed": _l("Invitation could not be sent"),
    "invitation_link_shown": _l("Invitation link shown to an administrator"),
    "invitation_refused": _l("Invitation link refused"),
    "invitation_sent": _l("Invitation emailed"),
    "invitation_used": _l("Invitation used: password chosen"),
    "invitations_queued": _l("Invitations queued"),
    "job_queued": _l("Scheduled job queued"),
    "job_started": _l("Scheduled job started"),
    "language_chosen": _l("Language chosen"),
    "login": _l("Signed in to the app"),
    "login_failed": _l("Failed sign-in"),
    "login_failures_alert": _l("Many failed sign-ins: administrators alerted"),
    "login_refused_delay": _l("Sign-in refused: waiting time"),
    "login_refused_inactive": _l("Sign-in refused: account deactivated"),
    "logout": _l("Signed out of the app"),
    "notifications_read": _l("Notifications marked as read"),
    "password_change_failed": _l("Wrong current password"),
    "password_change_refused_delay": _l("Password change refused: waiting time"),
    "password_changed": _l("Password changed"),
    "password_reset": _l("Password set by an administrator"),
    "password_reset_failed": _l("Password reset link could not be sent"),
    "password_reset_link_shown": _l("Password reset link shown to an administrator"),
    "password_reset_refused": _l("Password reset link refused"),
    "password_reset_requested": _l("Password reset requested"),
    "password_reset_sent": _l("Password reset link emailed"),
    "password_reset_used": _l("Password reset through a link"),
    "rate_limited": _l("Too many attempts: refused"),
    "reject": _l("Rejected"),
    "reopen": _l("Reopened"),
    "request": _l("Asked to mentor"),
    "return": _l("Returned for correction"),
    "stop": _l("Mentoring stopped"),
    "submit": _l("Submitted"),
    "survey_business_linked": _l("Tracer survey linked to a business"),
    "survey_recorded": _l("Tracer survey recorded"),
    "survey_rejected": _l("Tracer survey rejected"),
    "survey_updated": _l("Tracer survey changed"),
    "survey_verified": _l("Tracer survey verified"),
    "update": _l("Changed"),
    "upload": _l("Evidence uploaded"),
    "user_activated": _l("Account reactivated"),
    "user_created": _l("Account created"),
    "user_deactivated": _l("Account deactivated"),
    "user_updated": _l("Account changed"),
}

# What a record type (an entry's entity_type: a table, or one of the names services give) is called.
RECORD_LABELS = {
    "activities": _l("Activity"),
    "assessments": _l("Assessment"),
    "audit_entries": _l("Audit trail"),
    "businesses": _l("Business (IKM binaan)"),
    "contracts": _l("Contract"),
    "evidence": _l("Evidence"),
    "facilitators": _l("TPL"),
    "import_runs": _l("Import"),
    "job": _l("Scheduled job"),
    "mentorship_requests": _l("Request to mentor"),
    "mentorships": _l("Mentorship"),
    "monthly_reports": _l("Monthly report"),
    "notifications": _l("Notifications"),
    "outcome_surveys": _l("Tracer survey"),
    "password_links": _l("Password links"),
    "permits": _l("Permit facilitation"),
    "route": _l("Page"),
    "targets": _l("Targets"),
    "users": _l("Account"),
}

# Field labels shared by several record types; FIELD_LABELS names what differs per type.
COMMON_FIELD_LABELS = {
    "id": _l("Id"),
    "created_at": _l("Created at"),
    "updated_at": _l("Changed at"),
    "created_by_id": _l("Created by"),
    "facilitator_id": _l("TPL"),
    "business_id": _l("Business"),
    "region_code": _l("Region"),
    "full_name": _l("Full name"),
    "email": _l("Email"),
    "phone": _l("Phone"),
    "status": _l("Status"),
    "notes": _l("Notes"),
    "products": _l("Products"),
    "workers": _l("Workers"),
    "turnover": _l("Turnover (Rupiah)"),
    "kbli": _l("KBLI code"),
    "nib": _l("NIB"),
    "comment": _l("Comment"),
    "start_date": _l("Start date"),
    "end_date": _l("End date"),
    "started_at": _l("Started at"),
    "finished_at": _l("Finished at"),
    "as_of": _l("As of"),
    "run": _l("Job run"),
    "filename": _l("File name"),
    "dry_run": _l("Dry run (nothing written)"),
    "bytes": _l("Size (bytes)"),
    "language": _l("Language"),
    "format": _l("Format"),
    "filters": _l("Filters"),
    "rows": _l("Rows"),
}

FIELD_LABELS = {
    "users": {
        "role": _l("Role"),
        "is_enabled": _l("Active"),
        "failed_login_count": _l("Failed sign-ins"),
        "failed_login_window_start": _l("Failed sign-ins counted since"),
        "locked_until": _l("Locked until"),
        "last_login_at": _l("Last sign-in"),
        "password_changed_at": _l("Password changed at"),
        "region_codes": _l("Scope: provinces or kabupaten/kota"),
        "facilitator_ids": _l("Scope: assigned TPL"),
        "has_password": _l("Has a password"),
    },
    "facilitators": {
        "user_id": _l("Login account"),
        "nik": _l("NIK"),
        "gender": _l("Gender"),
        "birth_date": _l("Birth date"),
        "angkatan": _l("Angkatan"),
        "polytechnic": _l("Home polytechnic"),
        "supervisor_id": _l("Supervisor"),
        "region_code": _l("Placement (kabupaten/kota)"),
    },
    "contracts": {
        "number": _l("Contract number"),
        "placement_code": _l("Placement (kabupaten/kota)"),
        "terminated_on": _l("Terminated on"),
        "termination_reason": _l("Reason for termination"),
    },
    "businesses": {
        "name": _l("Business name"),
        "normalized_name": _l("Name as compared for duplicates"),
        "owner_name": _l("Owner"),
        "owner_nik": _l("Owner's NIK"),
        "address": _l("Address"),
        "kecamatan_code": _l("Kecamatan"),
        "desa_code": _l("Desa/Kelurahan"),
        "size_class": _l("Size class"),
        "capital": _l("Capital (Rupiah)"),
        "year_founded": _l("Year founded"),
        "founder_id": _l("Founded by (TPL)"),
    },
    "mentorships": {"end_reason": _l("Why the mentoring ended")},
    "activities": {
        "date": _l("Date"),
        "type": _l("Activity type"),
        "description": _l("Description"),
        "hours": _l("Hours"),
        "latitude": _l("Latitude"),
        "longitude": _l("Longitude"),
        "business_ids": _l("Businesses"),
    },
    "evidence": {
        "activity_id": _l("Activity"),
        "content_type": _l("File type"),
        "size": _l("Size (bytes)"),
        "sha256": _l("SHA-256 checksum"),
        "uploaded_by_id": _l("Uploaded by"),
    },
    "permits": {
        "permit_type": _l("Permit type"),
        "document_number": _l("Document number"),
        "planned_on": _l("Planned on"),
        "submitted_on": _l("Submitted on"),
        "issued_on": _l("Issued on"),
        "rejected_on": _l("Rejected on"),
        "expires_on": _l("Valid until"),
    },
    "assessments": {
        "kind": _l("Assessment"),
        "assessed_on": _l("Assessed on"),
        "production_capacity": _l("Production capacity"),
        "market_reach": _l("Market reach"),
        "has_packaging_label": _l("Packaging and label"),
    },
    "monthly_reports": {
        "period": _l("Month"),
        "submitted_at": _l("Submitted at"),
        "reviewed_at": _l("Reviewed at"),
        "reviewer_id": _l("Reviewer"),
    },
    "targets": {
        "year": _l("Year"),
        "visits_per_month": _l("Visits per month"),
        "businesses": _l("Businesses mentored"),
        "permits_per_year": _l("Permits issued per year"),
        "set_by_id": _l("Set by"),
    },
    "outcome_surveys": {
        "survey_date": _l("Survey date"),
        "status": _l("What the TPL is doing"),
        "business_name": _l("Business name"),
        "founded_date": _l("Founded on"),
        "monthly_revenue": _l("Monthly revenue (Rupiah)"),
        "business_region_code": _l("Business location (kabupaten/kota)"),
        "verification": _l("Verification"),
        "verification_note": _l("Verification note"),
        "verified_by_id": _l("Verified by"),
        "verified_at": _l("Verified at"),
        "recorded_by_id": _l("Recorded by"),
    },
    "mentorship_requests": {
        "reason": _l("Reason"),
        "decided_by_id": _l("Decided by"),
        "decided_at": _l("Decided at"),
        "decision_note": _l("Decision note"),
    },
    "import_runs": {
        "rows_total": _l("Rows"),
        "rows_done": _l("Rows done"),
        "result": _l("Result"),
        "error": _l("Error"),
        "job_run_id": _l("Job run"),
    },
}

# Never shown, whatever an entry holds (the audit service already leaves the first two out when it records).
HIDDEN_FIELDS = frozenset({"password_hash", "session_token", "token_hash", "content", "password"})


def action_label(code: str | None):
    """The label of an action code; an unknown code is shown as it is."""
    return ACTION_LABELS.get(code or "", code or "")


def record_label(entity_type: str | None):
    """The label of a record type; an unknown type is shown as it is."""
    return RECORD_LABELS.get(entity_type or "", entity_type or "")


def field_label(entity_type: str | None, key: str):
    """The label of a field of a record type (its own, else a shared one); an unknown field is shown as it is."""
    return FIELD_LABELS.get(entity_type or "", {}).get(key) or COMMON_FIELD_LABELS.get(key) or key
