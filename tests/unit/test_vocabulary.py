"""The spreadsheet vocabulary: the words programme spreadsheets use for stored codes and school names."""

import pytest
from flask_babel import force_locale

from tpl_tracker.models import (
    CONTRACT_STATUS_WORDS,
    GENDER_WORDS,
    POLYTECHNIC_WORDS,
    POLYTECHNICS,
    SURVEY_STATUS_WORDS,
    VERIFICATION_WORDS,
    ContractStatus,
    Gender,
    SurveyStatus,
    Term,
    Verification,
    Vocabulary,
)

CODE_LISTS = [
    (ContractStatus, CONTRACT_STATUS_WORDS),
    (SurveyStatus, SURVEY_STATUS_WORDS),
    (Verification, VERIFICATION_WORDS),
    (Gender, GENDER_WORDS),
]


@pytest.mark.parametrize(
    "typed,value",
    [
        ("selesai", "completed"),
        ("aktif", "active"),
        ("diputus", "terminated"),
        ("diberhentikan", "terminated"),
        ("completed", "completed"),
    ],
)
def test_contract_status_words(typed, value):
    assert CONTRACT_STATUS_WORDS.value_of(typed) == value


@pytest.mark.parametrize(
    "typed,value",
    [
        ("terverifikasi", "verified"),
        ("belum diverifikasi", "unverified"),
        ("ditolak", "rejected"),
        ("unverified", "unverified"),
    ],
)
def test_verification_words(typed, value):
    assert VERIFICATION_WORDS.value_of(typed) == value


@pytest.mark.parametrize(
    "typed,value",
    [
        ("berwirausaha", "wirausaha"),
        ("wirausaha", "wirausaha"),
        ("bekerja", "bekerja"),
        ("PNS", "asn"),
        ("melanjutkan studi", "studi"),
        ("belum bekerja", "belum_bekerja"),
        ("belum_bekerja", "belum_bekerja"),
        ("lain-lain", "lainnya"),
    ],
)
def test_survey_status_words(typed, value):
    assert SURVEY_STATUS_WORDS.value_of(typed) == value


@pytest.mark.parametrize(
    "typed", ["Belum Diverifikasi", "  belum   diverifikasi ", "BELUM_DIVERIFIKASI", "belum-diverifikasi"]
)
def test_case_spacing_and_punctuation_do_not_matter(typed):
    assert VERIFICATION_WORDS.value_of(typed) == "unverified"


@pytest.mark.parametrize("codes,vocabulary", CODE_LISTS, ids=[codes.__name__ for codes, _v in CODE_LISTS])
@pytest.mark.parametrize("language", ["id", "en"])
def test_every_code_and_its_labels_in_both_languages_are_accepted(app, codes, vocabulary, language):
    with app.test_request_context(), force_locale(language):
        for member in codes:
            assert vocabulary.value_of(member.value) == member.value
            assert vocabulary.value_of(str(member.label)) == member.value, str(member.label)


@pytest.mark.parametrize(
    "typed,official",
    [
        ("ATI Makassar", "Politeknik ATI Makassar"),
        ("AKA Bogor", "Politeknik AKA Bogor"),
        ("PTKI Medan", "Politeknik Teknologi Kimia Industri Medan"),
        ("STTT Bandung", "Politeknik STTT Bandung"),
        ("ATK Yogyakarta", "Politeknik ATK Yogyakarta"),
        ("APP Jakarta", "Politeknik APP Jakarta"),
        ("ATI Padang", "Politeknik ATI Padang"),
        ("STMI Jakarta", "STMI Jakarta"),
        ("Politeknik STMI Jakarta", "STMI Jakarta"),
        ("Poltek ATI Makassar", "Politeknik ATI Makassar"),
        ("politeknik  ati makassar", "Politeknik ATI Makassar"),
        ("POLTEK AKA BOGOR", "Politeknik AKA Bogor"),
        ("Teknologi Kimia Industri Medan", "Politeknik Teknologi Kimia Industri Medan"),
        ("ATK Jogja", "Politeknik ATK Yogyakarta"),
    ],
)
def test_school_short_forms_and_spellings(typed, official):
    assert POLYTECHNIC_WORDS.value_of(typed) == official


def test_every_official_school_name_is_accepted_as_it_is():
    assert [POLYTECHNIC_WORDS.value_of(name) for name in POLYTECHNICS] == POLYTECHNICS
    assert POLYTECHNIC_WORDS.shown == POLYTECHNICS


@pytest.mark.parametrize("typed", ["ATI", "Politeknik", "MIT", "", None])
def test_an_ambiguous_or_unknown_name_is_not_guessed(typed):
    assert POLYTECHNIC_WORDS.value_of(typed) is None


def test_a_word_may_not_mean_two_values():
    with pytest.raises(ValueError, match="both"):
        Vocabulary([Term("a", "Satu"), Term("b", "Dua", ("satu",))])


def test_every_code_needs_its_words():
    with pytest.raises(ValueError, match="no words"):
        Vocabulary.of_codes(Gender, {Gender.MALE: ("L",)})
