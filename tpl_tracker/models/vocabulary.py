"""The words programme spreadsheets use for the stored codes and the polytechnics, declared once.

A spreadsheet says `selesai` or `Completed` where the database stores `completed`, and `ATI Makassar` where
it stores `Politeknik ATI Makassar`. Each `Vocabulary` maps every accepted spelling of one list to its stored
value, ignoring case, spacing and punctuation (`Belum  diverifikasi`, `belum_diverifikasi` and
`BELUM-DIVERIFIKASI` are one word). The importer reads cells through it, the import template lists it on its
`accepted_values` sheet and offers its `shown` words as Excel drop-downs, and an unknown value is refused with
the shown words. tests/unit/test_vocabulary.py checks that the Indonesian label of every code is accepted.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .codes import CodeEnum, ContractStatus, Gender, SurveyStatus, Verification
from .facilitator import POLYTECHNICS

_NOT_A_LETTER = re.compile(r"[\W_]+")


def _words(text: str) -> str:
    """A spelling reduced to lower-case words separated by single spaces (punctuation and underscores count as
    spaces)."""
    return _NOT_A_LETTER.sub(" ", text).casefold().strip()


@dataclass(frozen=True)
class Term:
    """One stored value: the word a spreadsheet is offered for it, and every other spelling accepted."""

    value: str
    shown: str
    also: tuple[str, ...] = ()


class Vocabulary:
    """Every accepted spelling of the values of one list (stored codes or official names)."""

    def __init__(self, terms: Iterable[Term], prefixes: Iterable[str] = ()):
        self.terms = list(terms)
        # Leading words that may be left out or written in ("Politeknik", "Poltek"), reduced like the words.
        self._prefixes = sorted((_words(p) + " " for p in prefixes), key=len, reverse=True)
        self._index: dict[str, str] = {}
        for term in self.terms:
            for spelling in (term.value, term.shown, *term.also):
                key = self._key(spelling)
                if self._index.setdefault(key, term.value) != term.value:
                    raise ValueError(f"{spelling!r} would mean both {self._index[key]!r} and {term.value!r}")

    @classmethod
    def of_codes(cls, codes: type[CodeEnum], words: dict[CodeEnum, tuple[str, ...]]) -> "Vocabulary":
        """The vocabulary of a code list: for each code, the word offered first, then other spellings; the code
        itself is always accepted. Every code must have its words."""
        missing = [member.value for member in codes if member not in words]
        if missing:
            raise ValueError(f"{codes.__name__}: no words for {missing}")
        return cls(Term(member.value, words[member][0], words[member][1:]) for member in codes)

    def _key(self, text: str) -> str:
        key = _words(text)
        for prefix in self._prefixes:
            if key.startswith(prefix):
                return key[len(prefix) :]
        return key

    def value_of(self, text: str | None) -> str | None:
        """The stored value a spelling stands for, or None when it is not one of the accepted spellings."""
        if not text:
            return None
        return self._index.get(self._key(str(text)))

    @property
    def shown(self) -> list[str]:
        """The word offered for each value, in the list's order (the drop-down of the import template)."""
        return [term.shown for term in self.terms]

    def accepted(self, term: Term) -> list[str]:
        """Every spelling of one value as declared, with the prefix of a name left out ("ATI Makassar") and the
        stored value last when the words differ from it (the template's list)."""
        spellings = [term.shown, *term.also]
        for spelling in list(spellings):
            first, _space, rest = spelling.partition(" ")
            if rest and _words(first) + " " in self._prefixes:
                spellings.append(rest)
        if _words(term.value) not in {_words(s) for s in spellings}:
            spellings.append(term.value)
        return spellings


CONTRACT_STATUS_WORDS = Vocabulary.of_codes(
    ContractStatus,
    {
        ContractStatus.ACTIVE: ("Aktif", "berjalan", "sedang berjalan", "active"),
        ContractStatus.COMPLETED: ("Selesai", "berakhir", "purna kontrak", "completed"),
        ContractStatus.TERMINATED: (
            "Diberhentikan",
            "diputus",
            "diputus kontrak",
            "putus kontrak",
            "pemutusan kontrak",
            "dihentikan",
            "berhenti",
            "terminated",
        ),
    },
)

SURVEY_STATUS_WORDS = Vocabulary.of_codes(
    SurveyStatus,
    {
        SurveyStatus.WIRAUSAHA: ("Berwirausaha", "wirausaha", "wiraswasta", "usaha sendiri", "running own business"),
        SurveyStatus.EMPLOYED: ("Bekerja", "karyawan", "pegawai swasta", "employed"),
        SurveyStatus.CIVIL_SERVANT: (
            "ASN",
            "PNS",
            "PPPK",
            "pegawai negeri",
            "pegawai negeri sipil",
            "aparatur sipil negara",
            "civil servant",
            "civil servant (ASN)",
        ),
        SurveyStatus.STUDY: (
            "Melanjutkan studi",
            "studi",
            "studi lanjut",
            "kuliah",
            "melanjutkan kuliah",
            "further study",
        ),
        SurveyStatus.NOT_WORKING: ("Belum bekerja", "tidak bekerja", "menganggur", "not working"),
        SurveyStatus.OTHER: ("Lainnya", "lain lain", "other"),
    },
)

VERIFICATION_WORDS = Vocabulary.of_codes(
    Verification,
    {
        Verification.UNVERIFIED: ("Belum diverifikasi", "belum terverifikasi", "belum", "unverified"),
        Verification.VERIFIED: ("Terverifikasi", "diverifikasi", "sudah diverifikasi", "verified"),
        Verification.REJECTED: ("Ditolak", "tidak valid", "rejected"),
    },
)

GENDER_WORDS = Vocabulary.of_codes(
    Gender,
    {
        Gender.MALE: ("L", "laki laki", "lelaki", "pria", "LK", "male", "Laki-laki (L)", "Male (L)"),
        Gender.FEMALE: ("P", "perempuan", "wanita", "PR", "female", "Perempuan (P)", "Female (P)"),
    },
)

# The official names (POLYTECHNICS), each with its short forms and common spellings. "Politeknik" and "Poltek"
# in front of any of them may be written or left out (`ATI Makassar`, `Poltek ATI Makassar`).
_POLYTECHNIC_SPELLINGS: dict[str, tuple[str, ...]] = {
    "STMI Jakarta": ("STMI", "Sekolah Tinggi Manajemen Industri Jakarta"),
    "Politeknik STTT Bandung": ("STTT", "Sekolah Tinggi Teknologi Tekstil Bandung"),
    "Politeknik AKA Bogor": ("AKA", "Akademi Kimia Analisis Bogor"),
    "Politeknik ATI Makassar": ("Akademi Teknik Industri Makassar", "Akademi Teknologi Industri Makassar"),
    "Politeknik ATI Padang": ("Akademi Teknik Industri Padang", "Akademi Teknologi Industri Padang"),
    "Politeknik ATK Yogyakarta": (
        "ATK",
        "ATK Jogja",
        "ATK Jogjakarta",
        "ATK Yogya",
        "Akademi Teknologi Kulit Yogyakarta",
    ),
    "Politeknik Teknologi Kimia Industri Medan": ("PTKI Medan", "PTKI", "TKI Medan"),
    "Politeknik APP Jakarta": ("APP", "Akademi Pimpinan Perusahaan Jakarta"),
    "Politeknik Industri Logam Morowali": ("PILM", "Morowali", "Logam Morowali"),
    "Politeknik Industri Petrokimia Banten": ("PIPB", "Petrokimia Banten"),
    "Politeknik Industri Furnitur dan Pengolahan Kayu Kendal": ("PIFPK", "Furnitur Kendal", "Industri Furnitur Kendal"),
    "Akademi Komunitas Industri Tekstil dan Produk Tekstil Surakarta": (
        "AK Tekstil Solo",
        "AK Tekstil Surakarta",
        "Akademi Komunitas Tekstil Solo",
        "Akademi Komunitas Tekstil Surakarta",
    ),
}

if not set(_POLYTECHNIC_SPELLINGS) <= set(POLYTECHNICS):
    raise ValueError(f"not official names: {sorted(set(_POLYTECHNIC_SPELLINGS) - set(POLYTECHNICS))}")

POLYTECHNIC_WORDS = Vocabulary(
    (Term(name, name, _POLYTECHNIC_SPELLINGS.get(name, ())) for name in POLYTECHNICS),
    prefixes=("Politeknik", "Poltek", "Polytechnic"),
)
