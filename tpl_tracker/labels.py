"""How the interface names the stored codes (activity types, permits, statuses, ...): one place for every page.

The keys are the values the models store (see the CHECK constraints in models/); the texts are translated.
"""

from flask_babel import lazy_gettext as _l

ACTIVITY_TYPES = {
    "kunjungan": _l("Visit"),
    "pelatihan": _l("Training"),
    "fasilitasi_perizinan": _l("Permit facilitation"),
    "pengembangan_produk": _l("Product development"),
    "pemasaran": _l("Marketing / market access"),
    "lainnya": _l("Other"),
}
PERMIT_TYPES = {
    "nib": _l("NIB"),
    "pirt": _l("SPP-IRT / P-IRT"),
    "halal": _l("Halal certificate (Sertifikat Halal)"),
    "merek": _l("Trademark (HKI Merek)"),
    "sni": _l("SNI"),
    "tkdn": _l("TKDN-IK"),
    "bpom": _l("BPOM MD"),
}
PERMIT_STATUSES = {
    "planned": _l("Planned"),
    "submitted": _l("Submitted"),
    "issued": _l("Issued"),
    "rejected": _l("Rejected"),
}
MONTH_STATUSES = {
    "draft": _l("Draft (not submitted)"),
    "submitted": _l("Submitted"),
    "returned": _l("Returned for correction"),
    "approved": _l("Approved"),
}
SIZE_CLASSES = {"mikro": _l("Micro"), "kecil": _l("Small"), "menengah": _l("Medium")}
ASSESSMENT_KINDS = {"baseline": _l("Baseline"), "follow_up": _l("Follow-up")}
MARKET_REACHES = {
    "local": _l("Local"),
    "regional": _l("Regional (province)"),
    "national": _l("National"),
    "export": _l("Export"),
}


def choices(labels: dict) -> list[tuple[str, str]]:
    """The (value, label) pairs of a select field, in the labels' order."""
    return list(labels.items())
