"""Shared shorthands of the access tables."""

ROLES = ["anonymous", "facilitator", "supervisor", "evaluator", "admin"]

LOGIN = 302  # anonymous visitors are sent to the sign-in page
ALL_200 = {"anonymous": LOGIN, "facilitator": 200, "supervisor": 200, "evaluator": 200, "admin": 200}
ADMIN_ONLY = {"anonymous": LOGIN, "facilitator": 403, "supervisor": 403, "evaluator": 403, "admin": 200}
ADMIN_POST = {"anonymous": LOGIN, "facilitator": 403, "supervisor": 403, "evaluator": 403, "admin": 302}

# POST rows of form pages send an empty form: it comes back with its errors (200, nothing written), except an
# edit form whose every field is filled from the record, which saves it unchanged (302).
