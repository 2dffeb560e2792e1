"""Reference data: communes and intercommunalities (EPCI)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from connectences.models.base import Base


class Epci(Base):
    __tablename__ = "epci"

    siren: Mapped[str] = mapped_column(String(9), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))  # CA, CC, CU, MET...


class Commune(Base):
    __tablename__ = "commune"

    insee: Mapped[str] = mapped_column(String(5), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    postcodes: Mapped[list] = mapped_column(default=list)
    department: Mapped[str] = mapped_column(String(3))
    epci_siren: Mapped[str | None] = mapped_column(ForeignKey("epci.siren"), index=True)
    lat: Mapped[float | None]
    lon: Mapped[float | None]
