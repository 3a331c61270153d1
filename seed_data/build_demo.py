#!/usr/bin/env python3
"""Build (and check) the fictional DEMO data set of the CNA Directory.

The directory holds the competent national authorities that States designate
under the UN crime conventions (1988 Drugs Convention, UNTOC and its
Protocols, UNCAC). This script writes a *fictional* demonstration data set in
the interchange format v1 (``docs/interchange.md``):

* ``seed_data/demo/authorities.ndjson``: one authority record per line;
* ``seed_data/demo/README.md``: what the data is and how to regenerate it.

Every record is fictional: body names follow real-world naming patterns, but
the records are NOT real designations. Each is marked in three ways: its
``ref`` starts with ``DEMO-``, its ``notes.en`` starts with
``DEMO DATA — fictional record.``, and every e-mail address and website lives
on a reserved example domain (RFC 2606 / RFC 6761). Telephone numbers are
valid for their country (``phonenumbers``), drawn from the ranges set aside
for fiction where a country has one (NANP 555-01XX, Ofcom, ACMA, ARCEP) and
otherwise derived from ``phonenumbers`` example numbers.

The output is deterministic: the same script always writes the same bytes.

Usage::

    .venv/bin/python seed_data/build_demo.py            # (re)write seed_data/demo/
    .venv/bin/python seed_data/build_demo.py --check    # validate what is on disk
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import importlib.resources
import json
import random
import re
import sys
import unicodedata
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo, available_timezones

import langcodes
import phonenumbers
import pycountry
from email_validator import EmailNotValidError, validate_email

TextMap = dict[str, str]
Json = dict[str, Any]

DEFAULT_OUT: Final = Path(__file__).resolve().parent / "demo"
NDJSON_NAME: Final = "authorities.ndjson"
README_NAME: Final = "README.md"

DEMO_MARKER: Final = "DEMO DATA — fictional record."
DEMO_NOTE_EN: Final = DEMO_MARKER + " Not a real designation; for testing and demonstrations only."
DEMO_NOTE_LOCAL: Final[TextMap] = {
    "fr": "DONNÉES DE DÉMONSTRATION — fiche fictive, sans valeur officielle.",
    "es": "DATOS DE DEMOSTRACIÓN — registro ficticio, sin valor oficial.",
    "pt": "DADOS DE DEMONSTRAÇÃO — registro fictício, sem valor oficial.",
    "de": "DEMODATEN — fiktiver Eintrag ohne amtliche Geltung.",
    "ru": "ДЕМОНСТРАЦИОННЫЕ ДАННЫЕ — вымышленная запись, не имеющая официальной силы.",
    "ar": "بيانات تجريبية — سجل افتراضي ليست له أي صفة رسمية.",
    "zh": "演示数据——虚构记录，不具有官方效力。",
}

# --------------------------------------------------------------------------
# Reference data from the interchange format
# --------------------------------------------------------------------------

#: (instrument, article) -> designation type: exactly the interchange table.
ARTICLE_TABLE: Final[dict[tuple[str, str], str]] = {
    ("drugs1988", "6"): "extradition",
    ("drugs1988", "7(8)"): "mutual_legal_assistance",
    ("drugs1988", "17(7)"): "illicit_traffic_by_sea",
    ("untoc", "16"): "extradition",
    ("untoc", "17"): "transfer_of_sentenced_persons",
    ("untoc", "18(13)"): "mutual_legal_assistance",
    ("smuggling_protocol", "8(6)"): "migrant_smuggling_by_sea",
    ("firearms_protocol", "13(2)"): "firearms_focal_point",
    ("uncac", "44"): "extradition",
    ("uncac", "46(13)"): "mutual_legal_assistance",
    ("uncac", "6(3)"): "corruption_prevention",
}
CORE_TYPES: Final = (
    "extradition",
    "mutual_legal_assistance",
    "transfer_of_sentenced_persons",
    "migrant_smuggling_by_sea",
    "illicit_traffic_by_sea",
)
OTHER_TYPES: Final = ("firearms_focal_point", "corruption_prevention")
KINDS: Final = ("central_authority", "competent_authority", "focal_point")
STATUSES: Final = ("active", "withdrawn")
CHANNELS: Final = ("central_authority", "diplomatic", "direct_judicial", "interpol")
MEANS: Final = ("post", "email", "fax", "secure_platform", "courier")
DUAL_CRIMINALITY: Final = ("required", "not_required", "coercive_measures_only")
PHONE_KINDS: Final = ("voice", "fax", "mobile")
DAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

#: Entry into force of each instrument: the earliest plausible designation.
INSTRUMENT_START: Final[dict[str, dt.date]] = {
    "drugs1988": dt.date(1990, 11, 11),
    "untoc": dt.date(2003, 9, 29),
    "smuggling_protocol": dt.date(2004, 1, 28),
    "firearms_protocol": dt.date(2005, 7, 3),
    "uncac": dt.date(2005, 12, 14),
}
#: UN Treaty Collection chapter of each instrument (depositary notifications).
TREATY_CHAPTER: Final[dict[str, str]] = {
    "drugs1988": "VI.19",
    "untoc": "XVIII.12",
    "smuggling_protocol": "XVIII.12.b",
    "firearms_protocol": "XVIII.12.c",
    "uncac": "XVIII.14",
}
LATEST_SINCE: Final = dt.date(2024, 12, 31)

#: Top-level key order of the interchange example (version/updated_at are output only).
RECORD_KEYS: Final = (
    "id",
    "ref",
    "country",
    "kind",
    "name",
    "acronym",
    "parent",
    "address",
    "phones",
    "emails",
    "website",
    "time_zone",
    "office_hours",
    "designations",
    "contacts",
    "notes",
    "verified_on",
    "status",
)
REQUIRED_RECORD_KEYS: Final = frozenset(
    {
        "id",
        "ref",
        "country",
        "kind",
        "name",
        "address",
        "phones",
        "emails",
        "website",
        "office_hours",
        "designations",
        "contacts",
        "notes",
        "verified_on",
        "status",
    }
)
DESIGNATION_KEYS: Final = (
    "type",
    "instrument",
    "article",
    "territory",
    "scope",
    "since",
    "until",
    "notification",
    "languages",
    "channels",
    "means",
    "urgent",
    "requirements",
)
ADDRESS_KEYS: Final = ("lines", "locality", "region", "postal_code")
PHONE_KEYS: Final = ("number", "kind", "label", "restricted")
EMAIL_KEYS: Final = ("address", "label", "restricted")
CONTACT_KEYS: Final = ("name", "title", "phones", "emails", "languages")
URGENT_KEYS: Final = ("channels", "means", "notes")
REQUIREMENT_KEYS: Final = ("legal_basis_convention", "dual_criminality", "notes")
HOURS_KEYS: Final = ("days", "opens", "closes")

# --------------------------------------------------------------------------
# Country and body declarations
# --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Address:
    """A postal address as written in the record."""

    lines: tuple[str, ...]
    locality: str
    region: str | None = None
    postal_code: str | None = None


@dataclasses.dataclass(frozen=True)
class Body:
    """One fictional authority; becomes one record."""

    key: str
    roles: tuple[str, ...]
    name: TextMap
    acronym: str | None = None
    parent: TextMap | None = None
    inherit_parent: bool = True
    address: Address | None = None
    zone: str | None = None
    territory: tuple[str, ...] = ()
    scope: TextMap | None = None
    kind: str | None = None
    langs: tuple[str, ...] | None = None
    withdrawn: dt.date | None = None
    superseded: bool = False


@dataclasses.dataclass(frozen=True)
class Country:
    """A State, its usual parent ministry and its fictional bodies."""

    code: str
    langs: tuple[str, ...]
    ministry: TextMap
    address: Address
    zone: str | None
    people: tuple[str, ...]
    bodies: tuple[Body, ...]
    week: str = "mon-fri"
    lunch_break: bool = False


def body(key: str, roles: str, name: TextMap, **kwargs: Any) -> Body:
    """Shorthand: ``roles`` is a ``+``-joined list such as ``"intl+sea"``."""
    return Body(key=key, roles=tuple(roles.split("+")), name=name, **kwargs)


def addr(line: str, locality: str, region: str | None = None, postal: str | None = None) -> Address:
    """Shorthand for a one-line address."""
    return Address((line,), locality, region, postal)


def withdrawn_on(value: str) -> dt.date:
    """Parse the withdrawal date of a withdrawn body."""
    return dt.date.fromisoformat(value)


AR_MOJ: Final[TextMap] = {"ar": "وزارة العدل", "en": "Ministry of Justice"}
ARFR_MOJ: Final[TextMap] = {
    "ar": "وزارة العدل",
    "fr": "Ministère de la Justice",
    "en": "Ministry of Justice",
}
FR_MOJ: Final[TextMap] = {"fr": "Ministère de la Justice", "en": "Ministry of Justice"}

COUNTRIES: Final[tuple[Country, ...]] = (
    # ---------------------------------------------------------------- Americas
    Country(
        "BRA",
        ("pt",),
        {
            "pt": "Ministério da Justiça e Segurança Pública",
            "en": "Ministry of Justice and Public Security",
        },
        addr("Esplanada dos Ministérios, Bloco T, Anexo II", "Brasília", "DF", "70064-900"),
        "America/Sao_Paulo",
        (
            "Ana Carolina Ribeiro",
            "João Pedro Almeida",
            "Mariana Fonseca",
            "Rafael Moreira",
            "Beatriz Carvalho",
            "Tiago Teixeira",
        ),
        (
            body(
                "DCJI",
                "intl",
                {
                    "pt": "Departamento de Cooperação Jurídica Internacional",
                    "en": "Department of International Legal Cooperation",
                },
                acronym="DCJI",
            ),
            body(
                "PRCI-SP",
                "mla",
                {
                    "pt": "Procuradoria Regional de Cooperação Internacional em São Paulo",
                    "en": "Regional Prosecution Office for International Cooperation in São Paulo",
                },
                acronym="PRCI-SP",
                parent={
                    "pt": "Ministério Público Federal",
                    "en": "Federal Public Prosecution Service",
                },
                address=addr("Avenida Paulista, 1842, 12º andar", "São Paulo", "SP", "01310-200"),
                territory=("BR-SP",),
                kind="competent_authority",
                scope={
                    "pt": "Pedidos a serem cumpridos no Estado de São Paulo.",
                    "en": "Requests to be executed in the State of São Paulo.",
                },
            ),
            body(
                "CCIM",
                "sea",
                {
                    "pt": "Centro de Coordenação de Interdição Marítima",
                    "en": "Maritime Interdiction Coordination Centre",
                },
                acronym="CCIM",
                parent={"pt": "Comando da Marinha", "en": "Navy Command"},
                address=addr("Praça Barão de Ladário, s/nº", "Rio de Janeiro", "RJ", "20091-000"),
            ),
        ),
    ),
    Country(
        "ARG",
        ("es",),
        {
            "es": "Ministerio de Relaciones Exteriores, Comercio Internacional y Culto",
            "en": "Ministry of Foreign Affairs, International Trade and Worship",
        },
        addr("Esmeralda 1212, piso 4", "Buenos Aires", "CABA", "C1007ABR"),
        "America/Argentina/Buenos_Aires",
        ("Lucía Fernández", "Martín Gómez", "Valeria Sosa", "Diego Acosta"),
        (
            body(
                "DICJI",
                "intl",
                {
                    "es": "Dirección de Cooperación Jurídica Internacional",
                    "en": "Directorate of International Legal Cooperation",
                },
                acronym="DICJI",
                superseded=True,
            ),
            body(
                "DOM",
                "sea",
                {
                    "es": "Dirección de Operaciones Marítimas",
                    "en": "Directorate of Maritime Operations",
                },
                parent={"es": "Prefectura Naval Argentina", "en": "Argentine Naval Prefecture"},
                address=addr("Avenida Eduardo Madero 235", "Buenos Aires", "CABA", "C1106ACC"),
            ),
        ),
    ),
    Country(
        "MEX",
        ("es",),
        {
            "es": "Fiscalía General de la República",
            "en": "Office of the Attorney General of the Republic",
        },
        addr("Avenida Paseo de la Reforma 211", "Ciudad de México", "CDMX", "06500"),
        "America/Mexico_City",
        (
            "Valentina Herrera",
            "Javier Castillo",
            "Carmen Morales",
            "Andrés Navarro",
            "Daniela Rojas",
            "Luis Vargas",
        ),
        (
            body(
                "UCJI",
                "mla+tsp",
                {
                    "es": "Unidad de Cooperación Jurídica Internacional",
                    "en": "International Legal Cooperation Unit",
                },
                acronym="UCJI",
            ),
            body(
                "DGEAJ",
                "extr",
                {
                    "es": "Dirección General de Extradiciones y Asistencia Jurídica",
                    "en": "Directorate-General for Extradition and Legal Assistance",
                },
                acronym="DGEAJ",
                parent={
                    "es": "Secretaría de Relaciones Exteriores",
                    "en": "Ministry of Foreign Affairs",
                },
                address=addr("Avenida Juárez 20", "Ciudad de México", "CDMX", "06010"),
            ),
            body(
                "UCAFE",
                "fire",
                {
                    "es": "Unidad de Control de Armas de Fuego y Explosivos",
                    "en": "Firearms and Explosives Control Unit",
                },
                parent={
                    "es": "Secretaría de la Defensa Nacional",
                    "en": "Ministry of National Defence",
                },
                address=addr(
                    "Boulevard Manuel Ávila Camacho s/n", "Ciudad de México", "CDMX", "11200"
                ),
            ),
        ),
    ),
    Country(
        "COL",
        ("es",),
        {"es": "Ministerio de Justicia y del Derecho", "en": "Ministry of Justice and Law"},
        addr("Calle 53 No. 13-27", "Bogotá", "D.C.", "110231"),
        "America/Bogota",
        ("Laura Restrepo", "Santiago Ospina", "Natalia Cárdenas", "Camilo Londoño"),
        (
            body(
                "DAI",
                "intl",
                {
                    "es": "Dirección de Asuntos Internacionales",
                    "en": "Directorate of International Affairs",
                },
                acronym="DAI",
            ),
            body(
                "UCIAL",
                "mla",
                {
                    "es": "Unidad de Cooperación Internacional y Asistencia Legal",
                    "en": "International Cooperation and Legal Assistance Unit",
                },
                parent={
                    "es": "Fiscalía General de la Nación",
                    "en": "Office of the Attorney General of the Nation",
                },
                address=addr("Avenida Calle 24 No. 52-01", "Bogotá", "D.C.", "111321"),
            ),
            body(
                "CCAM",
                "sea",
                {
                    "es": "Centro de Control Antinarcóticos Marítimo",
                    "en": "Maritime Counter-Narcotics Control Centre",
                },
                parent={"es": "Armada de Colombia", "en": "Colombian Navy"},
                address=addr(
                    "Base Naval ARC Bolívar, Manga", "Cartagena de Indias", "Bolívar", "130001"
                ),
            ),
        ),
    ),
    Country(
        "CHL",
        ("es",),
        {
            "es": "Fiscalía Nacional — Ministerio Público",
            "en": "National Prosecutor's Office — Public Prosecution Service",
        },
        addr("Catedral 1437", "Santiago", "RM", "8340459"),
        "America/Santiago",
        ("Francisca Muñoz", "Matías Soto", "Javiera Contreras", "Felipe Araya"),
        (
            body(
                "UCJIE",
                "intl",
                {
                    "es": "Unidad de Cooperación Jurídica Internacional y Extradiciones",
                    "en": "International Legal Cooperation and Extradition Unit",
                },
                acronym="UCJIE",
            ),
            body(
                "DPC",
                "acorr",
                {
                    "es": "División de Prevención de la Corrupción",
                    "en": "Corruption Prevention Division",
                },
                parent={
                    "es": "Ministerio Secretaría General de la Presidencia",
                    "en": "Ministry General Secretariat of the Presidency",
                },
                address=addr("Teatinos 333", "Santiago", "RM", "8340444"),
            ),
        ),
    ),
    Country(
        "PER",
        ("es",),
        {
            "es": "Fiscalía de la Nación — Ministerio Público",
            "en": "Office of the Prosecutor of the Nation — Public Prosecution Service",
        },
        addr("Avenida Abancay, cuadra 5 s/n", "Lima", "Lima", "15001"),
        "America/Lima",
        ("Rosa Quispe", "Jorge Huamán", "Milagros Flores", "César Mendoza"),
        (
            body(
                "UCJIE",
                "intl",
                {
                    "es": "Unidad de Cooperación Judicial Internacional y Extradiciones",
                    "en": "International Judicial Cooperation and Extradition Unit",
                },
                acronym="UCJIE",
            ),
            body(
                "COGC",
                "sea",
                {
                    "es": "Centro de Operaciones de Guardacostas",
                    "en": "Coast Guard Operations Centre",
                },
                parent={"es": "Marina de Guerra del Perú", "en": "Peruvian Navy"},
                address=addr("Jirón Constitución 150", "Callao", "Callao", "07021"),
            ),
        ),
    ),
    Country(
        "USA",
        ("en",),
        {"en": "U.S. Department of Justice"},
        addr("950 Pennsylvania Avenue NW", "Washington", "DC", "20530"),
        "America/New_York",
        (
            "Sarah Mitchell",
            "James Whitaker",
            "Emily Rodriguez",
            "Daniel Park",
            "Grace Sullivan",
            "Michael Brennan",
        ),
        (
            body(
                "OICC",
                "intl",
                {"en": "Office of International Criminal Cooperation"},
                acronym="OICC",
                parent={"en": "Criminal Division, U.S. Department of Justice"},
            ),
            body(
                "NY-SICU",
                "mla",
                {"en": "State International Cooperation Unit"},
                acronym="SICU",
                parent={"en": "Office of the New York State Attorney General"},
                address=addr("28 Liberty Street", "New York", "NY", "10005"),
                territory=("US-NY",),
                kind="competent_authority",
                scope={
                    "en": "Requests to be executed in the State of New York concerning offences "
                    "under State law."
                },
            ),
            body(
                "PAMLE",
                "sea",
                {"en": "Pacific Area Maritime Law Enforcement Coordination Office"},
                parent={"en": "U.S. Coast Guard"},
                address=addr("Coast Guard Island, Building 51-1", "Alameda", "CA", "94501"),
                zone="America/Los_Angeles",
            ),
        ),
    ),
    Country(
        "CAN",
        ("en", "fr"),
        {"en": "Department of Justice Canada", "fr": "Ministère de la Justice Canada"},
        addr("284 Wellington Street", "Ottawa", "ON", "K1A 0H8"),
        "America/Toronto",
        ("Émilie Tremblay", "Jonathan Clarke", "Marie-Ève Gagnon", "Ryan MacDonald"),
        (
            body(
                "ICG",
                "intl",
                {
                    "en": "International Cooperation Group",
                    "fr": "Groupe de la coopération internationale",
                },
                acronym="ICG",
            ),
            body(
                "BEJQ",
                "mla",
                {
                    "fr": "Bureau de l'entraide judiciaire du Québec",
                    "en": "Québec Mutual Legal Assistance Office",
                },
                acronym="BEJQ",
                parent={
                    "fr": "Ministère de la Justice du Québec",
                    "en": "Québec Ministry of Justice",
                },
                address=addr("1, rue Notre-Dame Est", "Montréal", "QC", "H2Y 1B6"),
                territory=("CA-QC",),
                kind="competent_authority",
                langs=("fr",),
                scope={
                    "fr": "Demandes à exécuter au Québec.",
                    "en": "Requests to be executed in Québec.",
                },
            ),
        ),
    ),
    Country(
        "JAM",
        ("en",),
        {"en": "Ministry of Justice"},
        addr("61 Constant Spring Road", "Kingston 10"),
        "America/Jamaica",
        ("Simone Campbell", "Andre Williams", "Kerry-Ann Brown", "Marlon Grant"),
        (
            body("CAU", "intl", {"en": "Central Authority Unit"}, acronym="CAU"),
            body(
                "MOC",
                "sea",
                {"en": "Maritime Operations Centre"},
                parent={"en": "Jamaica Defence Force Coast Guard"},
                address=addr("HMJS Cagway, Port Royal", "Kingston 1"),
            ),
        ),
    ),
    Country(
        "DOM",
        ("es",),
        {
            "es": "Procuraduría General de la República",
            "en": "Office of the Attorney General of the Republic",
        },
        addr("Avenida Jiménez Moya esquina Juan Ramón Jiménez", "Santo Domingo", "DN", "10101"),
        "America/Santo_Domingo",
        ("Yokasta Peña", "Rafael Almonte", "Carolina Féliz", "José Luis Taveras"),
        (
            body(
                "DCI",
                "intl+sea",
                {
                    "es": "Departamento de Cooperación Internacional",
                    "en": "International Cooperation Department",
                },
                acronym="DCI",
            ),
        ),
    ),
    Country(
        "TTO",
        ("en",),
        {"en": "Office of the Attorney General and Ministry of Legal Affairs"},
        addr("Cabildo Chambers, 23-27 St. Vincent Street", "Port of Spain"),
        "America/Port_of_Spain",
        ("Nicole Ramjattan", "Kevin Mohammed", "Alicia Charles", "Darren Joseph"),
        (
            body("CAU", "intl", {"en": "Central Authority Unit"}, acronym="CAU"),
            body(
                "FILD",
                "fire",
                {"en": "Firearms Interdiction Liaison Desk"},
                parent={"en": "Trinidad and Tobago Police Service"},
                address=addr("Police Administration Building, Sackville Street", "Port of Spain"),
            ),
        ),
    ),
    Country(
        "CUB",
        ("es",),
        {"es": "Ministerio de Justicia", "en": "Ministry of Justice"},
        addr("Calle 0 No. 216 entre 23 y Humboldt, Vedado", "La Habana", None, "10400"),
        "America/Havana",
        ("Yanet Rodríguez", "Osvaldo Pérez", "Mayelín García", "Reinaldo Díaz"),
        (
            body(
                "DRI",
                "intl",
                {
                    "es": "Dirección de Relaciones Internacionales",
                    "en": "Directorate of International Relations",
                },
                acronym="DRI",
            ),
        ),
    ),
    Country(
        "GTM",
        ("es",),
        {"es": "Ministerio Público", "en": "Public Prosecution Service"},
        addr("15 avenida 15-16, zona 1", "Ciudad de Guatemala", None, "01001"),
        "America/Guatemala",
        ("María José López", "Carlos Ajú", "Ana Lucía Pérez", "Byron Estrada"),
        (
            body(
                "UAI",
                "intl",
                {"es": "Unidad de Asuntos Internacionales", "en": "International Affairs Unit"},
                acronym="UAI",
            ),
        ),
    ),
    Country(
        "CRI",
        ("es",),
        {"es": "Ministerio Público", "en": "Public Prosecution Service"},
        addr("Edificio de Tribunales, Barrio González Lahmann", "San José", None, "10104"),
        "America/Costa_Rica",
        ("Adriana Solís", "Esteban Vargas", "Mónica Arias", "Randall Chaves"),
        (
            body(
                "OCRI",
                "intl",
                {
                    "es": "Oficina de Cooperación y Relaciones Internacionales",
                    "en": "Office of Cooperation and International Relations",
                },
                acronym="OCRI",
            ),
            body(
                "CCOM",
                "sea",
                {
                    "es": "Centro de Control de Operaciones Marítimas",
                    "en": "Maritime Operations Control Centre",
                },
                parent={
                    "es": "Servicio Nacional de Guardacostas",
                    "en": "National Coast Guard Service",
                },
                address=addr("Barrio El Carmen", "Puntarenas", None, "60101"),
            ),
        ),
    ),
    Country(
        "PAN",
        ("es",),
        {"es": "Ministerio de Relaciones Exteriores", "en": "Ministry of Foreign Affairs"},
        addr("Palacio Bolívar, Calle 3, San Felipe", "Ciudad de Panamá"),
        "America/Panama",
        ("Yaritza Batista", "Ricardo Samaniego", "Gisela Herrera", "Omar Quintero"),
        (
            body(
                "DGAJI",
                "intl",
                {
                    "es": "Dirección General de Asuntos Jurídicos Internacionales",
                    "en": "Directorate-General for International Legal Affairs",
                },
                acronym="DGAJI",
            ),
            body(
                "DOAN",
                "sea",
                {
                    "es": "Dirección de Operaciones Aeronavales",
                    "en": "Directorate of Air and Naval Operations",
                },
                parent={
                    "es": "Servicio Nacional Aeronaval",
                    "en": "National Air and Naval Service",
                },
                address=addr("Avenida Omar Torrijos Herrera, Corozal", "Ciudad de Panamá"),
            ),
        ),
    ),
    Country(
        "URY",
        ("es",),
        {"es": "Ministerio de Educación y Cultura", "en": "Ministry of Education and Culture"},
        addr("Reconquista 535, piso 4", "Montevideo", None, "11000"),
        None,
        ("Florencia Silva", "Gonzalo Pereira", "Lucía Rodríguez", "Martín Cabrera"),
        (
            body(
                "ACCJI",
                "intl",
                {
                    "es": "Autoridad Central de Cooperación Jurídica Internacional",
                    "en": "Central Authority for International Legal Cooperation",
                },
                acronym="ACCJI",
            ),
        ),
    ),
    # ------------------------------------------------------------------ Europe
    Country(
        "FRA",
        ("fr",),
        FR_MOJ,
        addr("13, place Vendôme", "Paris", None, "75001"),
        "Europe/Paris",
        (
            "Camille Lefebvre",
            "Julien Moreau",
            "Claire Girard",
            "Mathieu Fontaine",
            "Sophie Rousseau",
            "Nicolas Mercier",
        ),
        (
            body(
                "BCPI",
                "intl",
                {
                    "fr": "Bureau de la coopération pénale internationale",
                    "en": "International Criminal Cooperation Office",
                },
                acronym="BCPI",
                parent={
                    "fr": "Ministère de la Justice — Direction des affaires criminelles et des "
                    "grâces",
                    "en": "Ministry of Justice — Directorate of Criminal Affairs and Pardons",
                },
            ),
            body(
                "PFNA",
                "fire",
                {
                    "fr": "Point focal national armes à feu du Ministère de l'Intérieur",
                    "en": "National Firearms Focal Point of the Ministry of the Interior",
                },
                acronym="PFNA",
                parent={"fr": "Ministère de l'Intérieur", "en": "Ministry of the Interior"},
                address=addr("Place Beauvau", "Paris", None, "75008"),
            ),
            body(
                "CCAEM",
                "sea",
                {
                    "fr": "Centre de coordination de l'action de l'État en mer",
                    "en": "Coordination Centre for State Action at Sea",
                },
                parent={
                    "fr": "Secrétariat général de la mer",
                    "en": "General Secretariat for the Sea",
                },
                address=addr("Rue du Château", "Brest", None, "29200"),
            ),
        ),
        lunch_break=True,
    ),
    Country(
        "DEU",
        ("de",),
        {"de": "Bundesministerium der Justiz", "en": "Federal Ministry of Justice"},
        addr("Adenauerallee 99–103", "Bonn", "NW", "53113"),
        "Europe/Berlin",
        (
            "Katrin Schneider",
            "Stefan Hoffmann",
            "Julia Becker",
            "Matthias Wagner",
            "Anna Krüger",
            "Tobias Schäfer",
        ),
        (
            body(
                "BFJ-IRH",
                "intl",
                {
                    "de": "Bundesamt für Justiz — Referat Internationale Rechtshilfe in "
                    "Strafsachen",
                    "en": "Federal Office of Justice — Division for International Mutual Legal "
                    "Assistance "
                    "in Criminal Matters",
                },
                acronym="BfJ",
            ),
            body(
                "BKA-NKW",
                "fire",
                {"de": "Nationale Kontaktstelle Waffen", "en": "National Firearms Contact Point"},
                parent={"de": "Bundeskriminalamt", "en": "Federal Criminal Police Office"},
                address=addr("Thaerstraße 11", "Wiesbaden", "HE", "65193"),
            ),
            body(
                "MKZB",
                "sea",
                {
                    "de": "Maritimes Koordinierungszentrum des Bundes",
                    "en": "Federal Maritime Coordination Centre",
                },
                acronym="MKZB",
                parent={"de": "Bundespolizei", "en": "Federal Police"},
                address=addr("Am Alten Hafen 2", "Cuxhaven", "NI", "27472"),
            ),
        ),
    ),
    Country(
        "ESP",
        ("es",),
        {
            "es": "Ministerio de la Presidencia, Justicia y Relaciones con las Cortes",
            "en": "Ministry of the Presidency, Justice and Relations with the Cortes",
        },
        addr("Calle de San Bernardo, 45", "Madrid", None, "28015"),
        "Europe/Madrid",
        (
            "Carmen Navarro",
            "Javier Ortega",
            "Lucía Serrano",
            "Pablo Domínguez",
            "Marta Vidal",
            "Jordi Puig",
        ),
        (
            body(
                "SGCJI",
                "intl",
                {
                    "es": "Subdirección General de Cooperación Jurídica Internacional",
                    "en": "Sub-Directorate-General for International Legal Cooperation",
                },
                acronym="SGCJI",
            ),
            body(
                "OCJIC",
                "mla",
                {
                    "ca": "Oficina de Cooperació Jurídica Internacional de Catalunya",
                    "es": "Oficina de Cooperación Jurídica Internacional de Cataluña",
                    "en": "Catalonia International Legal Cooperation Office",
                },
                acronym="OCJIC",
                parent={
                    "ca": "Departament de Justícia i Qualitat Democràtica",
                    "es": "Departamento de Justicia y Calidad Democrática",
                    "en": "Department of Justice and Democratic Quality",
                },
                address=addr("Carrer de Pau Claris, 81", "Barcelona", "CT", "08010"),
                territory=("ES-CT",),
                kind="competent_authority",
                langs=("ca", "es"),
                scope={
                    "ca": "Sol·licituds que s'han d'executar a Catalunya.",
                    "es": "Solicitudes que deban ejecutarse en Cataluña.",
                    "en": "Requests to be executed in Catalonia.",
                },
            ),
            body(
                "CCVM",
                "sea",
                {
                    "es": "Centro de Coordinación de Vigilancia Marítima",
                    "en": "Maritime Surveillance Coordination Centre",
                },
                acronym="CCVM",
                parent={"es": "Guardia Civil", "en": "Civil Guard"},
                address=addr("Calle de Guzmán el Bueno, 110", "Madrid", None, "28003"),
            ),
        ),
    ),
    Country(
        "ITA",
        ("it",),
        {"it": "Ministero della Giustizia", "en": "Ministry of Justice"},
        addr("Via Arenula, 70", "Roma", "RM", "00186"),
        "Europe/Rome",
        (
            "Giulia Ricci",
            "Marco Marino",
            "Francesca Greco",
            "Luca Bruno",
            "Chiara Gallo",
            "Paolo Conti",
        ),
        (
            body(
                "UCGI",
                "intl",
                {
                    "it": "Ufficio per la cooperazione giudiziaria internazionale",
                    "en": "Office for International Judicial Cooperation",
                },
                acronym="UCGI",
            ),
            body(
                "UET",
                "extr+tsp",
                {
                    "it": "Ufficio estradizioni e trasferimenti",
                    "en": "Extradition and Transfer Office",
                },
                withdrawn=withdrawn_on("2019-06-30"),
            ),
            body(
                "CNSM",
                "sea",
                {
                    "it": "Centro nazionale di coordinamento della sorveglianza marittima",
                    "en": "National Maritime Surveillance Coordination Centre",
                },
                parent={
                    "it": "Guardia di Finanza — Comando generale",
                    "en": "Financial Police — General Command",
                },
                address=addr("Viale XXI Aprile, 51", "Roma", "RM", "00162"),
            ),
        ),
    ),
    Country(
        "PRT",
        ("pt",),
        {
            "pt": "Procuradoria-Geral da República",
            "en": "Office of the Prosecutor General of the Republic",
        },
        addr("Rua da Escola Politécnica, 140", "Lisboa", None, "1269-269"),
        "Europe/Lisbon",
        ("Inês Carvalho", "Tiago Marques", "Sofia Martins", "Rui Lopes"),
        (
            body(
                "GCJI",
                "intl",
                {
                    "pt": "Gabinete de Cooperação Judiciária Internacional",
                    "en": "International Judicial Cooperation Office",
                },
                acronym="GCJI",
            ),
            body(
                "CCOM",
                "sea",
                {
                    "pt": "Centro de Coordenação de Operações Marítimas",
                    "en": "Maritime Operations Coordination Centre",
                },
                parent={"pt": "Autoridade Marítima Nacional", "en": "National Maritime Authority"},
                address=addr("Praça do Comércio", "Lisboa", None, "1149-019"),
            ),
        ),
    ),
    Country(
        "GBR",
        ("en",),
        {"en": "Home Office"},
        addr("2 Marsham Street", "London", None, "SW1P 4DF"),
        "Europe/London",
        ("Emily Hughes", "Oliver Bennett", "Priya Patel", "Thomas Clarke"),
        (
            body(
                "ICCU", "intl", {"en": "International Criminality Cooperation Unit"}, acronym="ICCU"
            ),
            body(
                "MICC",
                "sea",
                {"en": "Maritime Interdiction Coordination Centre"},
                acronym="MICC",
                parent={"en": "Border Force"},
                address=addr("Whale Island", "Portsmouth", None, "PO2 8ER"),
            ),
        ),
    ),
    Country(
        "AUT",
        ("de",),
        {"de": "Bundesministerium für Justiz", "en": "Federal Ministry of Justice"},
        addr("Museumstraße 7", "Wien", None, "1070"),
        "Europe/Vienna",
        ("Theresa Gruber", "Florian Huber", "Lena Bauer", "Markus Pichler"),
        (
            body(
                "AIS",
                "intl",
                {
                    "de": "Abteilung für internationale Strafsachen",
                    "en": "Department for International Criminal Matters",
                },
            ),
            body(
                "BKP",
                "acorr",
                {
                    "de": "Bundesamt für Korruptionsprävention",
                    "en": "Federal Office for Corruption Prevention",
                },
                acronym="BKP",
                parent={
                    "de": "Bundesministerium für Inneres",
                    "en": "Federal Ministry of the Interior",
                },
                address=addr("Herrengasse 7", "Wien", None, "1010"),
            ),
        ),
    ),
    Country(
        "POL",
        ("pl",),
        {"pl": "Ministerstwo Sprawiedliwości", "en": "Ministry of Justice"},
        addr("Aleje Ujazdowskie 11", "Warszawa", None, "00-950"),
        "Europe/Warsaw",
        ("Agnieszka Nowak", "Tomasz Kaczmarek", "Katarzyna Mazur", "Piotr Zając"),
        (
            body(
                "DWM",
                "intl",
                {
                    "pl": "Departament Współpracy Międzynarodowej",
                    "en": "Department of International Cooperation",
                },
                acronym="DWM",
            ),
            body(
                "KPKBP",
                "fire",
                {
                    "pl": "Krajowy Punkt Kontaktowy ds. Broni Palnej",
                    "en": "National Firearms Contact Point",
                },
                parent={"pl": "Komenda Główna Policji", "en": "National Police Headquarters"},
                address=addr("ul. Puławska 148/150", "Warszawa", None, "02-624"),
            ),
        ),
    ),
    Country(
        "RUS",
        ("ru",),
        {
            "ru": "Министерство юстиции Российской Федерации",
            "en": "Ministry of Justice of the Russian Federation",
        },
        addr("ul. Zhitnaya, 14", "Moscow", None, "119991"),
        "Europe/Moscow",
        ("Irina Sokolova", "Dmitry Volkov", "Yelena Morozova", "Alexei Kuznetsov"),
        (
            body(
                "MINJUST",
                "tsp",
                {
                    "ru": "Министерство юстиции Российской Федерации",
                    "en": "Ministry of Justice of the Russian Federation",
                },
                acronym="Минюст России",
                inherit_parent=False,
            ),
            body(
                "GUMPS",
                "mla+extr",
                {
                    "ru": "Главное управление международно-правового сотрудничества",
                    "en": "Main Directorate for International Legal Cooperation",
                },
                parent={
                    "ru": "Генеральная прокуратура Российской Федерации",
                    "en": "Office of the Prosecutor General of the Russian Federation",
                },
                address=addr("ul. Bolshaya Dmitrovka, 15a", "Moscow", None, "125993"),
            ),
        ),
    ),
    Country(
        "UKR",
        ("uk",),
        {"uk": "Міністерство юстиції України", "en": "Ministry of Justice of Ukraine"},
        addr("vul. Horodetskoho, 13", "Kyiv", None, "01001"),
        "Europe/Kyiv",
        ("Olena Kovalenko", "Andriy Shevchuk", "Iryna Bondarenko", "Taras Melnyk"),
        (
            body(
                "DMS",
                "intl",
                {
                    "uk": "Департамент міжнародного співробітництва",
                    "en": "Department of International Cooperation",
                },
            ),
            body(
                "DMPS",
                "mla",
                {
                    "uk": "Департамент міжнародно-правового співробітництва",
                    "en": "Department of International Legal Cooperation",
                },
                parent={
                    "uk": "Офіс Генерального прокурора",
                    "en": "Office of the Prosecutor General",
                },
                address=addr("vul. Riznytska, 13/15", "Kyiv", None, "01011"),
            ),
        ),
    ),
    Country(
        "SRB",
        ("sr",),
        {
            "sr": "Министарство правде",
            "sr-Latn": "Ministarstvo pravde",
            "en": "Ministry of Justice",
        },
        addr("Nemanjina 22–26", "Beograd", None, "11000"),
        "Europe/Belgrade",
        ("Jelena Petrović", "Nikola Jovanović", "Milica Ilić", "Stefan Marković"),
        (
            body(
                "SMPP",
                "intl",
                {
                    "sr": "Сектор за међународну правну помоћ",
                    "sr-Latn": "Sektor za međunarodnu pravnu pomoć",
                    "en": "Sector for International Legal Assistance",
                },
            ),
            body(
                "NKTVO",
                "fire",
                {
                    "sr": "Национална контакт тачка за ватрено оружје",
                    "sr-Latn": "Nacionalna kontakt tačka za vatreno oružje",
                    "en": "National Contact Point for Firearms",
                },
                parent={
                    "sr": "Министарство унутрашњих послова",
                    "sr-Latn": "Ministarstvo unutrašnjih poslova",
                    "en": "Ministry of the Interior",
                },
                address=addr("Bulevar Mihajla Pupina 2", "Beograd", None, "11070"),
            ),
        ),
    ),
    Country(
        "BGR",
        ("bg",),
        {"bg": "Министерство на правосъдието", "en": "Ministry of Justice"},
        addr("ul. Slavyanska 1", "Sofia", None, "1040"),
        "Europe/Sofia",
        ("Desislava Ivanova", "Georgi Petrov", "Mariya Dimitrova", "Nikolay Stoyanov"),
        (
            body(
                "MPSEV",
                "intl",
                {
                    "bg": "Дирекция „Международно правно сътрудничество и европейски въпроси“",
                    "en": "Directorate for International Legal Cooperation and European Affairs",
                },
            ),
            body(
                "NCPK",
                "acorr",
                {
                    "bg": "Национален център за превенция на корупцията",
                    "en": "National Centre for Corruption Prevention",
                },
                parent={"bg": "Министерски съвет", "en": "Council of Ministers"},
                address=addr("ul. Dondukov 1", "Sofia", None, "1194"),
            ),
        ),
    ),
    Country(
        "HUN",
        ("hu",),
        {"hu": "Igazságügyi Minisztérium", "en": "Ministry of Justice"},
        addr("Kossuth Lajos tér 2–4.", "Budapest", None, "1055"),
        None,
        ("Eszter Nagy", "Gábor Kovács", "Zsófia Tóth", "Bence Szabó"),
        (
            body(
                "NBEF",
                "intl",
                {
                    "hu": "Nemzetközi Büntetőjogi Együttműködési Főosztály",
                    "en": "Department of International Criminal Cooperation",
                },
            ),
            body(
                "NJF",
                "mla+extr",
                {"hu": "Nemzetközi Jogi Főosztály", "en": "Department of International Law"},
                withdrawn=withdrawn_on("2017-03-31"),
            ),
        ),
    ),
    Country(
        "ROU",
        ("ro",),
        {"ro": "Ministerul Justiției", "en": "Ministry of Justice"},
        addr("Strada Apolodor nr. 17", "București", None, "050741"),
        "Europe/Bucharest",
        ("Ioana Popescu", "Andrei Ionescu", "Elena Dumitru", "Mihai Stan"),
        (
            body(
                "DDICJ",
                "intl",
                {
                    "ro": "Direcția Drept Internațional și Cooperare Judiciară",
                    "en": "Directorate of International Law and Judicial Cooperation",
                },
            ),
        ),
    ),
    Country(
        "CZE",
        ("cs",),
        {
            "cs": "Ministerstvo spravedlnosti České republiky",
            "en": "Ministry of Justice of the Czech Republic",
        },
        addr("Vyšehradská 16", "Praha 2", None, "128 10"),
        "Europe/Prague",
        ("Petra Nováková", "Jan Dvořák", "Lucie Svobodová", "Martin Černý"),
        (
            body(
                "OMJS",
                "intl",
                {
                    "cs": "Odbor mezinárodní justiční spolupráce",
                    "en": "Department of International Judicial Cooperation",
                },
            ),
            body(
                "OMT",
                "mla",
                {"cs": "Odbor mezinárodní trestní", "en": "International Criminal Department"},
                withdrawn=withdrawn_on("2014-12-31"),
            ),
        ),
    ),
    Country(
        "GRC",
        ("el",),
        {"el": "Υπουργείο Δικαιοσύνης", "en": "Ministry of Justice"},
        addr("Leoforos Mesogeion 96", "Athina", None, "115 27"),
        "Europe/Athens",
        ("Eleni Papadopoulou", "Nikos Georgiou", "Maria Konstantinidou", "Dimitris Alexiou"),
        (
            body(
                "DDDS",
                "intl",
                {
                    "el": "Διεύθυνση Διεθνούς Δικαστικής Συνεργασίας σε Ποινικές Υποθέσεις",
                    "en": "Directorate of International Judicial Cooperation in Criminal Matters",
                },
            ),
            body(
                "KELS",
                "sea",
                {
                    "el": "Κέντρο Επιχειρήσεων Λιμενικού Σώματος",
                    "en": "Hellenic Coast Guard Operations Centre",
                },
                parent={"el": "Λιμενικό Σώμα – Ελληνική Ακτοφυλακή", "en": "Hellenic Coast Guard"},
                address=addr("Akti Vasileiadi, Gate E1–E2", "Piraeus", None, "185 10"),
            ),
        ),
    ),
    Country(
        "CHE",
        ("de", "fr", "it"),
        {
            "de": "Bundesamt für Justiz",
            "fr": "Office fédéral de la justice",
            "it": "Ufficio federale di giustizia",
            "en": "Federal Office of Justice",
        },
        addr("Bundesrain 20", "Bern", "BE", "3003"),
        "Europe/Zurich",
        ("Sabine Meier", "Lukas Brunner", "Chiara Bernasconi", "Nicolas Favre"),
        (
            body(
                "FIRH",
                "intl",
                {
                    "de": "Fachbereich Internationale Rechtshilfe",
                    "fr": "Domaine Entraide judiciaire internationale",
                    "it": "Settore Assistenza giudiziaria internazionale",
                    "en": "International Mutual Legal Assistance Unit",
                },
            ),
            body(
                "ZSW",
                "fire",
                {
                    "de": "Zentralstelle Waffen",
                    "fr": "Office central des armes",
                    "it": "Ufficio centrale armi",
                    "en": "Central Firearms Office",
                },
                parent={
                    "de": "Bundesamt für Polizei",
                    "fr": "Office fédéral de la police",
                    "it": "Ufficio federale di polizia",
                    "en": "Federal Office of Police",
                },
                address=addr("Guisanplatz 1A", "Bern", "BE", "3003"),
            ),
        ),
        lunch_break=True,
    ),
    Country(
        "NLD",
        ("nl",),
        {"nl": "Ministerie van Justitie en Veiligheid", "en": "Ministry of Justice and Security"},
        addr("Turfmarkt 147", "Den Haag", None, "2511 DP"),
        "Europe/Amsterdam",
        ("Sanne de Vries", "Pieter Jansen", "Lotte Bakker", "Joris Visser"),
        (
            body(
                "AIRS",
                "intl",
                {
                    "nl": "Afdeling Internationale Rechtshulp in Strafzaken",
                    "en": "International Legal Assistance in Criminal Matters Department",
                },
                acronym="AIRS",
            ),
            body(
                "KWC",
                "sea",
                {"nl": "Kustwachtcentrum", "en": "Coastguard Centre"},
                parent={"nl": "Kustwacht Nederland", "en": "Netherlands Coastguard"},
                address=addr("Kanaalweg 1", "Den Helder", None, "1781 AA"),
            ),
        ),
    ),
    Country(
        "SWE",
        ("sv",),
        {"sv": "Justitiedepartementet", "en": "Ministry of Justice"},
        addr("Rosenbad 4", "Stockholm", None, "103 33"),
        "Europe/Stockholm",
        ("Karin Lindqvist", "Erik Berg", "Linnea Holm", "Anders Sandberg"),
        (
            body(
                "BIRS",
                "intl",
                {
                    "sv": "Enheten för brottmålsärenden och internationellt rättsligt samarbete",
                    "en": "Division for Criminal Cases and International Judicial Cooperation",
                },
                acronym="BIRS",
            ),
        ),
    ),
    Country(
        "FIN",
        ("fi", "sv"),
        {"fi": "Oikeusministeriö", "sv": "Justitieministeriet", "en": "Ministry of Justice"},
        addr("Eteläesplanadi 10", "Helsinki", None, "00130"),
        None,
        ("Aino Virtanen", "Mikko Korhonen", "Laura Mäkinen", "Juha Nieminen"),
        (
            body(
                "KYY",
                "intl",
                {
                    "fi": "Kansainvälisen yhteistyön yksikkö",
                    "sv": "Enheten för internationellt samarbete",
                    "en": "International Cooperation Unit",
                },
            ),
        ),
    ),
    Country(
        "BEL",
        ("nl", "fr", "de"),
        {
            "nl": "FOD Justitie",
            "fr": "SPF Justice",
            "de": "FÖD Justiz",
            "en": "Federal Public Service Justice",
        },
        addr("Boulevard de Waterloo 115", "Bruxelles", None, "1000"),
        "Europe/Brussels",
        ("Els Peeters", "Thomas Dubois", "Sarah Janssens", "Olivier Lambert"),
        (
            body(
                "DISS",
                "intl",
                {
                    "nl": "Dienst Internationale Samenwerking in Strafzaken",
                    "fr": "Service de la coopération internationale pénale",
                    "de": "Dienst für internationale Zusammenarbeit in Strafsachen",
                    "en": "International Criminal Cooperation Service",
                },
            ),
        ),
    ),
    Country(
        "NOR",
        ("nb",),
        {
            "nb": "Justis- og beredskapsdepartementet",
            "en": "Ministry of Justice and Public Security",
        },
        addr("Nydalsveien 28", "Oslo", None, "0484"),
        "Europe/Oslo",
        ("Ingrid Haugen", "Lars Johansen", "Silje Dahl", "Håkon Lie"),
        (
            body(
                "SISS",
                "intl",
                {
                    "nb": "Seksjon for internasjonalt strafferettslig samarbeid",
                    "en": "Section for International Cooperation in Criminal Matters",
                },
            ),
        ),
    ),
    # -------------------------------------------------------------------- Asia
    Country(
        "KAZ",
        ("kk", "ru"),
        {
            "kk": "Қазақстан Республикасының Бас прокуратурасы",
            "ru": "Генеральная прокуратура Республики Казахстан",
            "en": "Prosecutor General's Office of the Republic of Kazakhstan",
        },
        addr("Mangilik El Avenue, 14", "Astana", None, "010000"),
        "Asia/Almaty",
        ("Aigerim Sadykova", "Yerlan Akhmetov", "Dana Zhaksybekova", "Nurlan Omarov"),
        (
            body(
                "DMPS",
                "intl",
                {
                    "kk": "Халықаралық құқықтық ынтымақтастық департаменті",
                    "ru": "Департамент международного правового сотрудничества",
                    "en": "Department of International Legal Cooperation",
                },
            ),
            body(
                "CPK",
                "acorr",
                {
                    "kk": "Сыбайлас жемқорлықтың алдын алу орталығы",
                    "ru": "Центр превенции коррупции",
                    "en": "Corruption Prevention Centre",
                },
                parent={
                    "kk": "Сыбайлас жемқорлыққа қарсы іс-қимыл агенттігі",
                    "ru": "Агентство по противодействию коррупции",
                    "en": "Anti-Corruption Agency",
                },
                address=addr("Zhenis Avenue, 43", "Astana", None, "010000"),
            ),
        ),
    ),
    Country(
        "UZB",
        ("uz", "ru"),
        {
            "uz": "Oʻzbekiston Respublikasi Bosh prokuraturasi",
            "ru": "Генеральная прокуратура Республики Узбекистан",
            "en": "Prosecutor General's Office of the Republic of Uzbekistan",
        },
        addr("Gulyamov koʻchasi, 66", "Toshkent", None, "100047"),
        "Asia/Tashkent",
        ("Dilnoza Karimova", "Jasur Rakhimov", "Malika Yusupova", "Bekzod Tursunov"),
        (
            body(
                "XHHB",
                "intl",
                {
                    "uz": "Xalqaro huquqiy hamkorlik boshqarmasi",
                    "ru": "Управление международного правового сотрудничества",
                    "en": "Directorate of International Legal Cooperation",
                },
            ),
        ),
    ),
    Country(
        "CHN",
        ("zh",),
        {
            "zh": "中华人民共和国司法部",
            "en": "Ministry of Justice of the People's Republic of China",
        },
        addr("No. 33 Ping'anli Xidajie, Xicheng District", "Beijing", None, "100035"),
        "Asia/Shanghai",
        ("Wang Li", "Chen Jing", "Zhang Wei", "Liu Yang", "Zhao Min", "Sun Hao"),
        (
            body(
                "BIC",
                "mla+tsp",
                {
                    "zh": "司法部国际合作局",
                    "en": "Bureau of International Cooperation, Ministry of Justice",
                },
            ),
            body(
                "SPP-DIC",
                "mla",
                {"zh": "国际合作厅", "en": "Department of International Cooperation"},
                parent={"zh": "最高人民检察院", "en": "Supreme People's Procuratorate"},
                address=addr(
                    "No. 147 Beiheyan Dajie, Dongcheng District", "Beijing", None, "100726"
                ),
            ),
            body(
                "MFA-DTL",
                "extr",
                {"zh": "条约法律司", "en": "Department of Treaty and Law"},
                parent={
                    "zh": "中华人民共和国外交部",
                    "en": "Ministry of Foreign Affairs of the People's Republic of China",
                },
                address=addr(
                    "No. 2 Chaoyangmen Nandajie, Chaoyang District", "Beijing", None, "100701"
                ),
            ),
        ),
    ),
    Country(
        "JPN",
        ("ja",),
        {"ja": "法務省", "en": "Ministry of Justice"},
        addr("1-1-1 Kasumigaseki, Chiyoda-ku", "Tokyo", None, "100-8977"),
        "Asia/Tokyo",
        (
            "Sato Yuki",
            "Tanaka Hiroshi",
            "Suzuki Aiko",
            "Takahashi Kenji",
            "Ito Naomi",
            "Watanabe Daisuke",
        ),
        (
            body(
                "ICCO",
                "intl",
                {
                    "ja": "刑事局国際刑事協力室",
                    "en": "International Criminal Cooperation Office, Criminal Affairs Bureau",
                },
            ),
            body(
                "JCG-ICD",
                "sea",
                {"ja": "国際刑事課", "en": "International Criminal Affairs Division"},
                parent={"ja": "海上保安庁", "en": "Japan Coast Guard"},
                address=addr("2-1-3 Kasumigaseki, Chiyoda-ku", "Tokyo", None, "100-8976"),
            ),
            body(
                "NPA-NFCP",
                "fire",
                {
                    "ja": "銃器対策ナショナル・コンタクトポイント",
                    "en": "National Firearms Contact Point",
                },
                parent={
                    "ja": "警察庁組織犯罪対策部",
                    "en": "Organized Crime Department, National Police Agency",
                },
                address=addr("2-1-2 Kasumigaseki, Chiyoda-ku", "Tokyo", None, "100-8974"),
            ),
        ),
    ),
    Country(
        "KOR",
        ("ko",),
        {"ko": "법무부", "en": "Ministry of Justice"},
        addr("47 Gwanmun-ro", "Gwacheon-si, Gyeonggi-do", None, "13809"),
        "Asia/Seoul",
        ("Kim Ji-won", "Lee Jae-hoon", "Park Soo-jin", "Choi Hyun-woo"),
        (
            body(
                "ICAD",
                "intl",
                {"ko": "국제형사과", "en": "International Criminal Affairs Division"},
                superseded=True,
            ),
            body(
                "KCG-ICD",
                "sea",
                {"ko": "국제협력과", "en": "International Cooperation Division"},
                parent={"ko": "해양경찰청", "en": "Korea Coast Guard"},
                address=addr("130 Haedoji-ro, Yeonsu-gu", "Incheon", None, "22003"),
            ),
        ),
    ),
    Country(
        "MNG",
        ("mn",),
        {"mn": "Хууль зүй, дотоод хэргийн яам", "en": "Ministry of Justice and Home Affairs"},
        addr("Government Building 5, Khudaldaany gudamj", "Ulaanbaatar", None, "15160"),
        "Asia/Ulaanbaatar",
        ("Oyunchimeg Bat-Erdene", "Ganbold Dorj", "Sarangerel Tsend", "Bold Enkhbayar"),
        (
            body(
                "GKHAG",
                "intl",
                {
                    "mn": "Гадаад харилцаа, хамтын ажиллагааны газар",
                    "en": "Department of Foreign Relations and Cooperation",
                },
            ),
        ),
    ),
    Country(
        "IND",
        ("hi", "en"),
        {"hi": "गृह मंत्रालय", "en": "Ministry of Home Affairs"},
        addr("North Block, Central Secretariat", "New Delhi", "DL", "110001"),
        "Asia/Kolkata",
        ("Priya Sharma", "Rahul Verma", "Anjali Nair", "Vikram Iyer", "Sunita Rao", "Arjun Mehta"),
        (
            body(
                "ILCD",
                "mla+tsp",
                {
                    "hi": "अंतरराष्ट्रीय विधिक सहयोग प्रभाग",
                    "en": "International Legal Cooperation Division",
                },
            ),
            body(
                "EXC",
                "extr",
                {"hi": "प्रत्यर्पण प्रकोष्ठ", "en": "Extradition Cell"},
                parent={"hi": "विदेश मंत्रालय", "en": "Ministry of External Affairs"},
                address=addr("Jawaharlal Nehru Bhawan, 23-D Janpath", "New Delhi", "DL", "110011"),
            ),
            body(
                "MOCC",
                "sea",
                {"hi": "समुद्री अभियान समन्वय केंद्र", "en": "Maritime Operations Coordination Centre"},
                parent={"hi": "भारतीय तटरक्षक बल", "en": "Indian Coast Guard"},
                address=addr(
                    "Coast Guard Headquarters, National Stadium Complex",
                    "New Delhi",
                    "DL",
                    "110001",
                ),
            ),
        ),
    ),
    Country(
        "PAK",
        ("ur", "en"),
        {"ur": "وزارت داخلہ", "en": "Ministry of Interior"},
        addr("R Block, Pak Secretariat", "Islamabad", None, "44000"),
        "Asia/Karachi",
        ("Ayesha Siddiqui", "Imran Qureshi", "Sana Malik", "Bilal Ahmed"),
        (
            body(
                "ICW",
                "intl",
                {"ur": "بین الاقوامی تعاون ونگ", "en": "International Cooperation Wing"},
            ),
            body(
                "MOC",
                "sea",
                {"ur": "میری ٹائم آپریشنز سینٹر", "en": "Maritime Operations Centre"},
                parent={
                    "ur": "پاکستان میری ٹائم سیکیورٹی ایجنسی",
                    "en": "Pakistan Maritime Security Agency",
                },
                address=addr(
                    "Maritime Security Headquarters, West Wharf", "Karachi", None, "74000"
                ),
            ),
        ),
    ),
    Country(
        "BGD",
        ("bn",),
        {"bn": "স্বরাষ্ট্র মন্ত্রণালয়", "en": "Ministry of Home Affairs"},
        addr("Bangladesh Secretariat, Building 8", "Dhaka", None, "1000"),
        "Asia/Dhaka",
        ("Farhana Rahman", "Tanvir Hossain", "Nusrat Jahan", "Arif Chowdhury"),
        (
            body(
                "ILAB",
                "intl",
                {"bn": "আন্তর্জাতিক আইনি সহায়তা শাখা", "en": "International Legal Assistance Branch"},
            ),
            body(
                "MOCC",
                "sea",
                {"bn": "সমুদ্র অভিযান সমন্বয় কেন্দ্র", "en": "Maritime Operations Coordination Centre"},
                parent={"bn": "বাংলাদেশ কোস্ট গার্ড", "en": "Bangladesh Coast Guard"},
                address=addr("Agargaon", "Dhaka", None, "1207"),
            ),
        ),
        week="sun-thu",
    ),
    Country(
        "LKA",
        ("si", "ta", "en"),
        {"si": "අධිකරණ අමාත්‍යාංශය", "ta": "நீதி அமைச்சு", "en": "Ministry of Justice"},
        addr("Superior Courts Complex, Hulftsdorp", "Colombo 12", None, "01200"),
        "Asia/Colombo",
        ("Nadeesha Perera", "Kasun Fernando", "Tharushi Silva", "Ruwan Jayasinghe"),
        (
            body(
                "ICU",
                "intl+sea",
                {
                    "si": "ජාත්‍යන්තර සහයෝගිතා ඒකකය",
                    "ta": "சர்வதேச ஒத்துழைப்புப் பிரிவு",
                    "en": "International Cooperation Unit",
                },
            ),
        ),
    ),
    Country(
        "NPL",
        ("ne",),
        {
            "ne": "कानून, न्याय तथा संसदीय मामिला मन्त्रालय",
            "en": "Ministry of Law, Justice and Parliamentary Affairs",
        },
        addr("Singha Durbar", "Kathmandu", None, "44600"),
        "Asia/Kathmandu",
        ("Sita Adhikari", "Ramesh Shrestha", "Anita Gurung", "Bikash Karki"),
        (
            body(
                "AKSM",
                "intl",
                {
                    "ne": "अन्तर्राष्ट्रिय कानुनी सहयोग महाशाखा",
                    "en": "International Legal Cooperation Division",
                },
            ),
        ),
        week="sun-fri",
    ),
    Country(
        "IRN",
        ("fa",),
        {"fa": "قوه قضاییه", "en": "Judiciary of the Islamic Republic of Iran"},
        addr("Valiasr Street", "Tehran"),
        "Asia/Tehran",
        ("Maryam Rahimi", "Reza Karimi", "Zahra Hosseini", "Ali Moradi"),
        (
            body(
                "DGILJC",
                "intl",
                {
                    "fa": "اداره کل همکاری‌های حقوقی و قضایی بین‌المللی",
                    "en": "Directorate-General for International Legal and Judicial Cooperation",
                },
            ),
            body(
                "MOCC",
                "sea",
                {
                    "fa": "مرکز هماهنگی عملیات دریایی",
                    "en": "Maritime Operations Coordination Centre",
                },
                parent={"fa": "فرماندهی مرزبانی", "en": "Border Guard Command"},
                address=addr("Port Road", "Bandar Abbas"),
            ),
        ),
        week="sat-wed",
    ),
    Country(
        "THA",
        ("th",),
        {"th": "สำนักงานอัยการสูงสุด", "en": "Office of the Attorney General"},
        addr("Chaeng Watthana Road, Lak Si", "Bangkok", None, "10210"),
        "Asia/Bangkok",
        ("Siriporn Chaiyaporn", "Somchai Wongsa", "Nattaya Srisuk", "Prasert Boonmee"),
        (
            body(
                "DICC",
                "intl",
                {
                    "th": "กองความร่วมมือระหว่างประเทศทางอาญา",
                    "en": "Division of International Criminal Cooperation",
                },
            ),
            body(
                "MOCC",
                "sea",
                {
                    "th": "ศูนย์ประสานงานการปฏิบัติการทางทะเล",
                    "en": "Maritime Operations Coordination Centre",
                },
                parent={"th": "กองทัพเรือ", "en": "Royal Thai Navy"},
                address=addr("Sattahip Naval Base", "Chon Buri", None, "20180"),
            ),
        ),
    ),
    Country(
        "VNM",
        ("vi",),
        {"vi": "Viện Kiểm sát nhân dân tối cao", "en": "Supreme People's Procuracy"},
        addr("44 Lý Thường Kiệt, Hoàn Kiếm", "Hà Nội", None, "100000"),
        "Asia/Ho_Chi_Minh",
        ("Nguyễn Thị Lan", "Trần Văn Minh", "Phạm Thu Hà", "Lê Quang Huy"),
        (
            body(
                "VHTQT",
                "intl",
                {
                    "vi": "Vụ Hợp tác quốc tế và Tương trợ tư pháp về hình sự",
                    "en": "Department of International Cooperation and Mutual Legal Assistance "
                    "in Criminal Matters",
                },
            ),
            body(
                "TTDP",
                "sea",
                {
                    "vi": "Trung tâm Điều phối Hoạt động trên biển",
                    "en": "Maritime Operations Coordination Centre",
                },
                parent={"vi": "Cảnh sát biển Việt Nam", "en": "Viet Nam Coast Guard"},
                address=addr("Ngọc Thụy, Long Biên", "Hà Nội", None, "100000"),
            ),
        ),
    ),
    Country(
        "IDN",
        ("id",),
        {"id": "Kementerian Hukum", "en": "Ministry of Law"},
        addr("Jalan H.R. Rasuna Said Kav. 6–7", "Jakarta Selatan", "JK", "12940"),
        "Asia/Jakarta",
        ("Siti Rahmawati", "Budi Santoso", "Dewi Lestari", "Agus Pratama"),
        (
            body(
                "DKHI",
                "intl",
                {
                    "id": "Direktorat Kerja Sama Hukum Internasional",
                    "en": "Directorate of International Legal Cooperation",
                },
            ),
            body(
                "PKOL",
                "sea",
                {
                    "id": "Pusat Komando dan Pengendalian Operasi Laut",
                    "en": "Maritime Operations Command and Control Centre",
                },
                parent={
                    "id": "Badan Keamanan Laut Republik Indonesia",
                    "en": "Maritime Security Agency of the Republic of Indonesia",
                },
                address=addr("Jalan Pelabuhan Soekarno-Hatta", "Makassar", "SN", "90174"),
                zone="Asia/Makassar",
            ),
            body(
                "PKNSA",
                "fire",
                {
                    "id": "Pusat Kontak Nasional Senjata Api",
                    "en": "National Firearms Contact Centre",
                },
                parent={
                    "id": "Kepolisian Negara Republik Indonesia",
                    "en": "Indonesian National Police",
                },
                address=addr(
                    "Jalan Trunojoyo No. 3, Kebayoran Baru", "Jakarta Selatan", "JK", "12110"
                ),
            ),
        ),
    ),
    Country(
        "PHL",
        ("en", "fil"),
        {"en": "Department of Justice", "fil": "Kagawaran ng Katarungan"},
        addr("Padre Faura Street, Ermita", "Manila", None, "1000"),
        "Asia/Manila",
        ("Maria Santos", "Jose Reyes", "Ana Cruz", "Mark Villanueva"),
        (
            body(
                "IAD",
                "intl",
                {"en": "International Affairs Division", "fil": "Dibisyon ng Ugnayang Pandaigdig"},
            ),
            body(
                "MOCC",
                "sea",
                {
                    "en": "Maritime Operations Coordination Center",
                    "fil": "Sentro ng Koordinasyon ng mga Operasyong Pandagat",
                },
                parent={"en": "Philippine Coast Guard", "fil": "Tanod Baybayin ng Pilipinas"},
                address=addr("139 25th Street, Port Area", "Manila", None, "1018"),
            ),
        ),
    ),
    Country(
        "MYS",
        ("ms",),
        {"ms": "Jabatan Peguam Negara", "en": "Attorney General's Chambers"},
        addr("No. 45, Persiaran Perdana, Presint 4", "Putrajaya", None, "62100"),
        "Asia/Kuala_Lumpur",
        ("Nurul Aisyah Ahmad", "Mohd Faizal Ismail", "Tan Mei Ling", "Rajesh Kumar"),
        (
            body(
                "BKA",
                "intl",
                {
                    "ms": "Bahagian Kerjasama Antarabangsa",
                    "en": "International Cooperation Division",
                },
            ),
            body(
                "PPRN",
                "acorr",
                {
                    "ms": "Pusat Pencegahan Rasuah Nasional",
                    "en": "National Corruption Prevention Centre",
                },
                parent={"ms": "Jabatan Perdana Menteri", "en": "Prime Minister's Department"},
                address=addr(
                    "Blok B8, Kompleks Jabatan Perdana Menteri", "Putrajaya", None, "62502"
                ),
            ),
        ),
    ),
    Country(
        "SAU",
        ("ar",),
        {"ar": "وزارة الداخلية", "en": "Ministry of Interior"},
        addr("King Abdulaziz Road", "Riyadh", None, "11134"),
        "Asia/Riyadh",
        ("Abdullah Al-Otaibi", "Nora Al-Qahtani", "Faisal Al-Harbi", "Reem Al-Shehri"),
        (
            body(
                "GDIC",
                "intl",
                {
                    "ar": "الإدارة العامة للتعاون الدولي",
                    "en": "General Directorate of International Cooperation",
                },
            ),
            body(
                "GDCP",
                "acorr",
                {
                    "ar": "الإدارة العامة للوقاية من الفساد",
                    "en": "General Directorate for Corruption Prevention",
                },
                parent={
                    "ar": "هيئة الرقابة ومكافحة الفساد",
                    "en": "Oversight and Anti-Corruption Authority",
                },
                address=addr("King Fahd Road", "Riyadh", None, "12211"),
            ),
        ),
        week="sun-thu",
    ),
    Country(
        "ARE",
        ("ar",),
        AR_MOJ,
        addr("Al Khaleej Al Arabi Street", "Abu Dhabi"),
        "Asia/Dubai",
        ("Mariam Al Mansoori", "Khalid Al Dhaheri", "Hessa Al Suwaidi", "Saeed Al Ketbi"),
        (
            body(
                "ILCD",
                "intl",
                {
                    "ar": "إدارة التعاون القانوني الدولي",
                    "en": "International Legal Cooperation Department",
                },
            ),
            body(
                "NFFP",
                "fire",
                {
                    "ar": "نقطة الاتصال الوطنية المعنية بالأسلحة النارية",
                    "en": "National Firearms Focal Point",
                },
                parent={"ar": "وزارة الداخلية", "en": "Ministry of Interior"},
                address=addr("Airport Road", "Abu Dhabi"),
            ),
        ),
        week="uae",
    ),
    Country(
        "QAT",
        ("ar",),
        {"ar": "النيابة العامة", "en": "Public Prosecution"},
        addr("Al Corniche Street", "Doha"),
        "Asia/Qatar",
        ("Aisha Al-Kuwari", "Hamad Al-Marri", "Maha Al-Sulaiti", "Jassim Al-Naimi"),
        (
            body(
                "ICD",
                "intl+sea",
                {"ar": "إدارة التعاون الدولي", "en": "International Cooperation Department"},
            ),
        ),
        week="sun-thu",
    ),
    Country(
        "JOR",
        ("ar",),
        AR_MOJ,
        addr("Al Abdali", "Amman", None, "11118"),
        None,
        ("Rania Haddad", "Omar Khalil", "Dana Nasser", "Tariq Awad"),
        (
            body(
                "ICDR",
                "intl",
                {"ar": "مديرية التعاون الدولي", "en": "International Cooperation Directorate"},
            ),
        ),
        week="sun-thu",
    ),
    Country(
        "LBN",
        ("ar", "fr"),
        ARFR_MOJ,
        addr("Rue Sami el-Solh, Adlieh", "Beyrouth"),
        "Asia/Beirut",
        ("Nadine Khoury", "Karim Haddad", "Maya Saad", "Georges Nassar"),
        (
            body(
                "SCJI",
                "intl",
                {
                    "ar": "دائرة التعاون القضائي الدولي",
                    "fr": "Service de la coopération judiciaire internationale",
                    "en": "International Judicial Cooperation Service",
                },
            ),
        ),
    ),
    Country(
        "ISR",
        ("he", "ar"),
        {"he": "פרקליטות המדינה", "ar": "النيابة العامة للدولة", "en": "State Attorney's Office"},
        addr("29 Salah al-Din Street", "Jerusalem", None, "9711052"),
        "Asia/Jerusalem",
        ("Noa Levi", "Yossi Cohen", "Tamar Mizrahi", "Avi Friedman"),
        (
            body(
                "DIA",
                "intl",
                {
                    "he": "המחלקה לעניינים בינלאומיים",
                    "ar": "دائرة الشؤون الدولية",
                    "en": "Department of International Affairs",
                },
            ),
        ),
        week="sun-thu",
    ),
    Country(
        "TUR",
        ("tr",),
        {"tr": "Adalet Bakanlığı", "en": "Ministry of Justice"},
        addr("Milli Müdafaa Caddesi No: 22, Kızılay", "Ankara", None, "06659"),
        "Europe/Istanbul",
        ("Elif Yılmaz", "Mehmet Demir", "Zeynep Kaya", "Emre Şahin"),
        (
            body(
                "UHIDB",
                "intl",
                {
                    "tr": "Uluslararası Hukuki İş Birliği Dairesi Başkanlığı",
                    "en": "Department of International Legal Cooperation",
                },
            ),
            body(
                "SGHM",
                "sea",
                {"tr": "Sahil Güvenlik Harekât Merkezi", "en": "Coast Guard Operations Centre"},
                parent={"tr": "Sahil Güvenlik Komutanlığı", "en": "Coast Guard Command"},
                address=addr("Merasim Sokak No: 3, Bakanlıklar", "Ankara", None, "06100"),
            ),
        ),
    ),
    Country(
        "GEO",
        ("ka",),
        {"ka": "საქართველოს პროკურატურა", "en": "Prosecutor's Office of Georgia"},
        addr("24 Gorgasali Street", "Tbilisi", None, "0114"),
        "Asia/Tbilisi",
        ("Nino Beridze", "Giorgi Kapanadze", "Tamar Lomidze", "Levan Gelashvili"),
        (
            body(
                "DILC",
                "intl",
                {
                    "ka": "საერთაშორისო სამართლებრივი თანამშრომლობის დეპარტამენტი",
                    "en": "Department of International Legal Cooperation",
                },
            ),
        ),
    ),
    Country(
        "ARM",
        ("hy",),
        {
            "hy": "Հայաստանի Հանրապետության արդարադատության նախարարություն",
            "en": "Ministry of Justice of the Republic of Armenia",
        },
        addr("Vazgen Sargsyan Street 3/8", "Yerevan", None, "0010"),
        "Asia/Yerevan",
        ("Anahit Petrosyan", "Armen Hakobyan", "Lilit Sargsyan", "Tigran Grigoryan"),
        (
            body(
                "ILCD",
                "intl",
                {
                    "hy": "Միջազգային իրավական համագործակցության վարչություն",
                    "en": "International Legal Cooperation Department",
                },
            ),
        ),
    ),
    # ------------------------------------------------------------------ Africa
    Country(
        "EGY",
        ("ar",),
        AR_MOJ,
        addr("Lazoghly Square", "Cairo", None, "11511"),
        "Africa/Cairo",
        ("Mona Saleh", "Ahmed Mansour", "Heba Abdelrahman", "Youssef Nasser"),
        (
            body(
                "ICD",
                "mla+tsp",
                {"ar": "إدارة التعاون الدولي", "en": "International Cooperation Department"},
            ),
            body(
                "OICE",
                "extr",
                {
                    "ar": "مكتب التعاون الدولي وتسليم المجرمين",
                    "en": "Office of International Cooperation and Extradition",
                },
                parent={"ar": "النيابة العامة", "en": "Public Prosecution"},
                address=addr("Dar El Qadaa El Aly, 26th of July Street", "Cairo"),
            ),
            body(
                "ECGOC",
                "sea",
                {
                    "ar": "مركز عمليات حرس الحدود البحرية",
                    "en": "Egyptian Coast Guard Operations Centre",
                },
                parent={"ar": "القوات البحرية المصرية", "en": "Egyptian Navy"},
                address=addr("Ras El Tin", "Alexandria", None, "21511"),
            ),
        ),
        week="sun-thu",
    ),
    Country(
        "MAR",
        ("ar", "fr"),
        ARFR_MOJ,
        addr("Place Mamounia", "Rabat", None, "10000"),
        "Africa/Casablanca",
        ("Nadia Benali", "Karim Ouazzani", "Salma El Idrissi", "Youssef Benjelloun"),
        (
            body(
                "DCJI",
                "intl",
                {
                    "ar": "مديرية التعاون القضائي الدولي",
                    "fr": "Direction de la coopération judiciaire internationale",
                    "en": "Directorate of International Judicial Cooperation",
                },
            ),
            body(
                "CCOM",
                "sea",
                {
                    "ar": "مركز تنسيق العمليات البحرية",
                    "fr": "Centre de coordination des opérations maritimes",
                    "en": "Maritime Operations Coordination Centre",
                },
                parent={
                    "ar": "البحرية الملكية",
                    "fr": "Marine royale",
                    "en": "Royal Moroccan Navy",
                },
                address=addr("Boulevard Sour Jdid", "Casablanca", None, "20250"),
            ),
        ),
    ),
    Country(
        "DZA",
        ("ar", "fr"),
        ARFR_MOJ,
        addr("8, place Bir Hakem, El Biar", "Alger", None, "16030"),
        "Africa/Algiers",
        ("Amina Belkacem", "Rachid Hamidi", "Samira Mebarki", "Farid Bensalem"),
        (
            body(
                "SDCJI",
                "intl+sea",
                {
                    "ar": "المديرية الفرعية للتعاون القضائي الدولي",
                    "fr": "Sous-direction de la coopération judiciaire internationale",
                    "en": "Sub-Directorate for International Judicial Cooperation",
                },
            ),
        ),
        week="sun-thu",
    ),
    Country(
        "TUN",
        ("ar", "fr"),
        ARFR_MOJ,
        addr("31, boulevard Bab Benat", "Tunis", None, "1006"),
        "Africa/Tunis",
        ("Leïla Ben Amor", "Hatem Trabelsi", "Ines Jaziri", "Sami Gharbi"),
        (
            body(
                "DCI",
                "intl+sea",
                {
                    "ar": "إدارة التعاون الدولي",
                    "fr": "Direction de la coopération internationale",
                    "en": "Directorate of International Cooperation",
                },
            ),
            body(
                "DGAP",
                "mla+extr",
                {
                    "ar": "الإدارة العامة للشؤون الجزائية",
                    "fr": "Direction générale des affaires pénales",
                    "en": "Directorate-General for Criminal Affairs",
                },
                withdrawn=withdrawn_on("2016-09-30"),
            ),
        ),
    ),
    Country(
        "NGA",
        ("en",),
        {"en": "Federal Ministry of Justice"},
        addr("Federal Secretariat Complex, Shehu Shagari Way", "Abuja", "FC", "900211"),
        "Africa/Lagos",
        ("Ngozi Okafor", "Chukwuemeka Eze", "Aisha Bello", "Oluwaseun Adeyemi"),
        (
            body("CAU", "intl", {"en": "Central Authority Unit"}, acronym="CAU", superseded=True),
            body(
                "MDAC",
                "sea",
                {"en": "Maritime Domain Awareness Centre"},
                acronym="MDAC",
                parent={"en": "Nigerian Navy"},
                address=addr("Naval Dockyard, Wilmot Point Road", "Lagos", "LA", "101241"),
            ),
            body(
                "NFCFP",
                "fire",
                {"en": "National Firearms Control Focal Point"},
                parent={"en": "Office of the National Security Adviser"},
                address=addr("Three Arms Zone", "Abuja", "FC", "900001"),
            ),
        ),
    ),
    Country(
        "KEN",
        ("en", "sw"),
        {
            "en": "Office of the Attorney General and Department of Justice",
            "sw": "Ofisi ya Mwanasheria Mkuu na Idara ya Haki",
        },
        addr("Sheria House, Harambee Avenue", "Nairobi", None, "00100"),
        "Africa/Nairobi",
        ("Amina Wanjiru", "John Otieno", "Grace Mwangi", "Peter Kamau"),
        (
            body(
                "ICU",
                "intl+sea",
                {
                    "en": "International Cooperation Unit",
                    "sw": "Kitengo cha Ushirikiano wa Kimataifa",
                },
            ),
            body(
                "CPD",
                "acorr",
                {"en": "Corruption Prevention Directorate", "sw": "Kurugenzi ya Kuzuia Rushwa"},
                parent={
                    "en": "Ethics and Anti-Corruption Commission",
                    "sw": "Tume ya Maadili na Kupambana na Ufisadi",
                },
                address=addr("Integrity Centre, Valley Road", "Nairobi", None, "00200"),
            ),
        ),
    ),
    Country(
        "ZAF",
        ("en", "af"),
        {
            "en": "Department of Justice and Constitutional Development",
            "af": "Departement van Justisie en Staatkundige Ontwikkeling",
        },
        addr("Momentum Centre, 329 Pretorius Street", "Pretoria", "GP", "0002"),
        "Africa/Johannesburg",
        ("Thandiwe Nkosi", "Pieter van der Merwe", "Lerato Mokoena", "Sipho Dlamini"),
        (
            body(
                "ILR",
                "intl",
                {
                    "en": "Directorate: International Legal Relations",
                    "af": "Direktoraat: Internasionale Regsbetrekkinge",
                },
            ),
            body(
                "MLECC",
                "sea",
                {
                    "en": "Maritime Law Enforcement Coordination Centre",
                    "af": "Koördineringsentrum vir Maritieme Wetstoepassing",
                },
                parent={"en": "South African Navy", "af": "Suid-Afrikaanse Vloot"},
                address=addr("Naval Base Simon's Town", "Simon's Town", "WC", "7975"),
            ),
        ),
    ),
    Country(
        "SEN",
        ("fr",),
        FR_MOJ,
        addr("Building administratif Mamadou Dia, avenue Léopold Sédar Senghor", "Dakar"),
        None,
        ("Aminata Diop", "Moussa Ndiaye", "Fatou Sow", "Cheikh Fall"),
        (
            body(
                "BEJI",
                "intl+sea",
                {
                    "fr": "Bureau de l'entraide judiciaire internationale",
                    "en": "International Mutual Legal Assistance Office",
                },
                acronym="BEJI",
            ),
        ),
        lunch_break=True,
    ),
    Country(
        "CIV",
        ("fr",),
        {
            "fr": "Ministère de la Justice et des Droits de l'Homme",
            "en": "Ministry of Justice and Human Rights",
        },
        addr("Boulevard Angoulvant, Plateau", "Abidjan"),
        "Africa/Abidjan",
        ("Adjoua Kouassi", "Yao Koffi", "Mariam Traoré", "Serge Kouamé"),
        (
            body(
                "DCJI",
                "intl",
                {
                    "fr": "Direction de la coopération judiciaire internationale",
                    "en": "Directorate of International Judicial Cooperation",
                },
            ),
            body(
                "PFNAF",
                "fire",
                {
                    "fr": "Point focal national sur les armes à feu",
                    "en": "National Firearms Focal Point",
                },
                parent={
                    "fr": "Ministère de l'Intérieur et de la Sécurité",
                    "en": "Ministry of the Interior and Security",
                },
                address=addr("Immeuble SIDAM, avenue Houdaille, Plateau", "Abidjan"),
            ),
        ),
        lunch_break=True,
    ),
    Country(
        "ETH",
        ("am", "en"),
        {"am": "የፍትሕ ሚኒስቴር", "en": "Ministry of Justice"},
        addr("Sudan Street", "Addis Ababa", None, "1000"),
        "Africa/Addis_Ababa",
        ("Hiwot Tesfaye", "Dawit Bekele", "Selam Haile", "Yonas Girma"),
        (
            body(
                "ILCD",
                "intl",
                {
                    "am": "የዓለም አቀፍ የሕግ ትብብር ዳይሬክቶሬት",
                    "en": "International Legal Cooperation Directorate",
                },
            ),
        ),
    ),
    Country(
        "GHA",
        ("en",),
        {"en": "Office of the Attorney-General and Ministry of Justice"},
        addr("Ministries Area", "Accra"),
        None,
        ("Akosua Mensah", "Kwame Asante", "Efua Boateng", "Kofi Owusu"),
        (
            body("MLAU", "intl", {"en": "Mutual Legal Assistance Unit"}, acronym="MLAU"),
            body(
                "NFFPS",
                "fire",
                {"en": "National Firearms Focal Point Secretariat"},
                parent={"en": "Ministry of the Interior"},
                address=addr("Ministries Area, Block 4", "Accra"),
            ),
        ),
    ),
    Country(
        "TZA",
        ("sw", "en"),
        {"sw": "Ofisi ya Taifa ya Mashtaka", "en": "National Prosecutions Service"},
        addr("Mtumba Government City", "Dodoma"),
        "Africa/Dar_es_Salaam",
        ("Neema Mollel", "Juma Mwakyusa", "Rehema Said", "Baraka Mushi"),
        (
            body(
                "KUKK",
                "intl+sea",
                {
                    "sw": "Kitengo cha Ushirikiano wa Kisheria wa Kimataifa",
                    "en": "International Legal Cooperation Unit",
                },
            ),
        ),
    ),
    Country(
        "CMR",
        ("fr", "en"),
        FR_MOJ,
        addr("Quartier administratif", "Yaoundé"),
        "Africa/Douala",
        ("Solange Mbarga", "Paul Atangana", "Hélène Ngo Bassa", "Eric Fotso"),
        (
            body(
                "DCJI",
                "intl",
                {
                    "fr": "Division de la coopération judiciaire internationale",
                    "en": "International Judicial Cooperation Division",
                },
            ),
        ),
        lunch_break=True,
    ),
    # ----------------------------------------------------------------- Oceania
    Country(
        "AUS",
        ("en",),
        {"en": "Attorney-General's Department"},
        addr("3–5 National Circuit", "Barton", "ACT", "2600"),
        "Australia/Sydney",
        ("Charlotte Nguyen", "Lachlan Murray", "Olivia Chen", "Jack Robertson"),
        (
            body(
                "ICCCA",
                "intl",
                {"en": "International Crime Cooperation Central Authority"},
                acronym="ICCCA",
            ),
            body(
                "MBOC",
                "sea",
                {"en": "Maritime Border Operations Centre"},
                acronym="MBOC",
                parent={"en": "Australian Border Force"},
                address=addr("Larrakeyah Barracks", "Darwin", "NT", "0820"),
                zone="Australia/Darwin",
            ),
        ),
    ),
    Country(
        "NZL",
        ("en", "mi"),
        {"en": "Crown Law Office", "mi": "Te Tari Ture o te Karauna"},
        addr("19 Aitken Street", "Wellington", None, "6011"),
        "Pacific/Auckland",
        ("Aroha Walker", "Liam Taylor", "Mere Parata", "Sam Harris"),
        (body("ICCU", "intl+sea", {"en": "International Crime Cooperation Unit"}, acronym="ICCU"),),
    ),
    Country(
        "FJI",
        ("en",),
        {"en": "Office of the Attorney-General"},
        addr("Suvavou House, Victoria Parade", "Suva"),
        None,
        ("Litia Naivalu", "Josefa Ratu", "Ana Qalo", "Sanjay Prasad"),
        (body("CAU", "intl+sea", {"en": "Central Authority Unit"}, acronym="CAU"),),
    ),
    Country(
        "PNG",
        ("en",),
        {"en": "Department of Justice and Attorney General"},
        addr("Sir Buri Kidu Heights", "Port Moresby", "NCD", "121"),
        "Pacific/Port_Moresby",
        ("Grace Kila", "John Kaupa", "Mary Wari", "Peter Tomba"),
        (
            body(
                "MACMU",
                "intl",
                {"en": "Mutual Assistance in Criminal Matters Unit"},
                acronym="MACMU",
            ),
        ),
    ),
)

# --------------------------------------------------------------------------
# Region check data (UN M49). Babel's CLDR data does not ship territory
# containment, so the sub-regions of the countries used are spelt out here.
# --------------------------------------------------------------------------

M49_SUBREGION: Final[dict[str, str]] = {
    **dict.fromkeys(("USA", "CAN"), "Northern America"),
    **dict.fromkeys(("MEX", "GTM", "CRI", "PAN"), "Central America"),
    **dict.fromkeys(("BRA", "ARG", "COL", "CHL", "PER", "URY"), "South America"),
    **dict.fromkeys(("JAM", "DOM", "TTO", "CUB"), "Caribbean"),
    **dict.fromkeys(("GBR", "SWE", "FIN", "NOR"), "Northern Europe"),
    **dict.fromkeys(("FRA", "DEU", "AUT", "CHE", "NLD", "BEL"), "Western Europe"),
    **dict.fromkeys(("ESP", "ITA", "PRT", "GRC", "SRB"), "Southern Europe"),
    **dict.fromkeys(("RUS", "UKR", "POL", "BGR", "HUN", "ROU", "CZE"), "Eastern Europe"),
    **dict.fromkeys(("KAZ", "UZB"), "Central Asia"),
    **dict.fromkeys(("CHN", "JPN", "KOR", "MNG"), "Eastern Asia"),
    **dict.fromkeys(("THA", "VNM", "IDN", "PHL", "MYS"), "South-eastern Asia"),
    **dict.fromkeys(("IND", "PAK", "BGD", "LKA", "NPL", "IRN"), "Southern Asia"),
    **dict.fromkeys(
        ("SAU", "ARE", "QAT", "JOR", "LBN", "ISR", "TUR", "GEO", "ARM"), "Western Asia"
    ),
    **dict.fromkeys(("EGY", "MAR", "DZA", "TUN"), "Northern Africa"),
    **dict.fromkeys(("NGA", "SEN", "CIV", "GHA"), "Western Africa"),
    **dict.fromkeys(("KEN", "ETH", "TZA"), "Eastern Africa"),
    **dict.fromkeys(("ZAF",), "Southern Africa"),
    **dict.fromkeys(("CMR",), "Middle Africa"),
    **dict.fromkeys(("AUS", "NZL"), "Australia and New Zealand"),
    **dict.fromkeys(("FJI", "PNG"), "Melanesia"),
}
M49_REGION: Final[dict[str, str]] = {
    "Northern America": "Americas",
    "Central America": "Americas",
    "South America": "Americas",
    "Caribbean": "Americas",
    "Northern Europe": "Europe",
    "Western Europe": "Europe",
    "Southern Europe": "Europe",
    "Eastern Europe": "Europe",
    "Central Asia": "Asia",
    "Eastern Asia": "Asia",
    "South-eastern Asia": "Asia",
    "Southern Asia": "Asia",
    "Western Asia": "Asia",
    "Northern Africa": "Africa",
    "Western Africa": "Africa",
    "Eastern Africa": "Africa",
    "Southern Africa": "Africa",
    "Middle Africa": "Africa",
    "Australia and New Zealand": "Oceania",
    "Melanesia": "Oceania",
}
#: What must be covered: whole regions, or the named sub-regions.
REQUIRED_AREAS: Final[tuple[str, ...]] = (
    "Africa",
    "Northern America",
    "Central America",
    "South America",
    "Caribbean",
    "Eastern Asia",
    "Southern Asia",
    "South-eastern Asia",
    "Central Asia",
    "Western Asia",
    "Eastern Europe",
    "Western Europe",
    "Oceania",
)
REQUIRED_COUNTRIES: Final = frozenset(
    [
        "BRA",
        "ARG",
        "MEX",
        "COL",
        "CHL",
        "PER",
        "USA",
        "CAN",
        "JAM",
        "FRA",
        "DEU",
        "ESP",
        "ITA",
        "PRT",
        "GBR",
        "AUT",
        "POL",
        "RUS",
        "UKR",
        "KAZ",
        "CHN",
        "JPN",
        "KOR",
        "IND",
        "PAK",
        "THA",
        "VNM",
        "IDN",
        "PHL",
        "EGY",
        "MAR",
        "DZA",
        "TUN",
        "SAU",
        "ARE",
        "JOR",
        "LBN",
        "IRN",
        "TUR",
        "ISR",
        "GRC",
        "NGA",
        "KEN",
        "ZAF",
        "SEN",
        "CIV",
        "ETH",
        "GHA",
        "AUS",
        "NZL",
        "FJI",
        "PNG",
        "SRB",
        "BGR",
        "GEO",
        "ARM",
        "MNG",
        "BGD",
        "LKA",
        "NPL",
        "CHE",
        "NLD",
        "SWE",
        "FIN",
        "HUN",
    ]
)
#: Countries whose every record must carry a name in this script (ISO 15924).
REQUIRED_NAME_SCRIPT: Final[dict[str, str]] = {
    **dict.fromkeys(
        ("EGY", "SAU", "MAR", "DZA", "TUN", "ARE", "JOR", "LBN", "QAT", "IRN", "PAK"), "Arab"
    ),
    **dict.fromkeys(("CHN", "JPN"), "Hani"),
    "KOR": "Hang",
    **dict.fromkeys(("RUS", "UKR", "SRB", "BGR", "KAZ", "MNG"), "Cyrl"),
    "GRC": "Grek",
    "ISR": "Hebr",
    "THA": "Thai",
    "GEO": "Geor",
    "ARM": "Armn",
    **dict.fromkeys(("IND", "NPL"), "Deva"),
    "BGD": "Beng",
    "LKA": "Sinh",
    "ETH": "Ethi",
}
#: Countries with a Latin-script official language written with diacritics.
LATIN_DIACRITIC_COUNTRIES: Final = frozenset(
    ["FRA", "DEU", "ESP", "PRT", "BRA", "POL", "HUN", "VNM", "TUR", "CZE", "ROU", "SWE", "FIN"]
)
#: Countries whose names may be in English only.
ENGLISH_ONLY: Final = frozenset(
    ["USA", "GBR", "JAM", "TTO", "NGA", "GHA", "AUS", "NZL", "FJI", "PNG"]
)

# --------------------------------------------------------------------------
# Designation templates
# --------------------------------------------------------------------------

#: role -> ((instrument, article), probability that the body holds it)
ROLE_ROWS: Final[dict[str, tuple[tuple[tuple[str, str], float], ...]]] = {
    "intl": (
        (("untoc", "18(13)"), 1.0),
        (("untoc", "16"), 1.0),
        (("untoc", "17"), 0.8),
        (("drugs1988", "7(8)"), 0.75),
        (("uncac", "46(13)"), 0.7),
        (("drugs1988", "6"), 0.5),
        (("uncac", "44"), 0.45),
    ),
    "mla": ((("untoc", "18(13)"), 1.0), (("uncac", "46(13)"), 0.7), (("drugs1988", "7(8)"), 0.6)),
    "extr": ((("untoc", "16"), 1.0), (("drugs1988", "6"), 0.7), (("uncac", "44"), 0.7)),
    "tsp": ((("untoc", "17"), 1.0),),
    "sea": ((("drugs1988", "17(7)"), 1.0), (("smuggling_protocol", "8(6)"), 1.0)),
    "fire": ((("firearms_protocol", "13(2)"), 1.0),),
    "acorr": ((("uncac", "6(3)"), 1.0),),
}
ROLE_KIND: Final[dict[str, str]] = {
    "intl": "central_authority",
    "mla": "central_authority",
    "extr": "central_authority",
    "tsp": "central_authority",
    "sea": "competent_authority",
    "acorr": "competent_authority",
    "fire": "focal_point",
}
ROLE_MAILBOX: Final[dict[str, tuple[str, str]]] = {
    "intl": ("cooperation", "Requests for international cooperation"),
    "mla": ("mla", "Mutual legal assistance requests"),
    "extr": ("extradition", "Extradition requests"),
    "tsp": ("transfers", "Transfer of sentenced persons"),
    "sea": ("maritime.ops", "Operations room"),
    "fire": ("firearms", "Firearms tracing and information"),
    "acorr": ("prevention", "Corruption prevention"),
}

#: Multilingual notes. The English text is always used; other languages when the body uses them.
NOTE_TEXTS: Final[dict[str, TextMap]] = {
    "mla_req": {
        "en": "Requests must describe the link between the measure sought and the offence.",
        "fr": "La demande doit exposer le lien entre la mesure sollicitée et l'infraction.",
        "es": "La solicitud debe explicar la relación entre la medida solicitada y el delito.",
        "pt": "O pedido deve descrever a relação entre a medida solicitada e o crime.",
        "ru": "В запросе должна быть указана связь между запрашиваемой мерой и преступлением.",
        "ar": "يجب أن يبيّن الطلب الصلة بين الإجراء المطلوب والجريمة.",
    },
    "extr_req": {
        "en": "Requests must include a certified copy of the arrest warrant and the text of the "
        "applicable "
        "legal provisions.",
        "fr": "La demande doit être accompagnée d'une copie certifiée conforme du mandat d'arrêt "
        "et du texte "
        "des dispositions légales applicables.",
        "es": "La solicitud debe ir acompañada de copia certificada de la orden de detención y "
        "del texto de "
        "las disposiciones legales aplicables.",
        "pt": "O pedido deve ser acompanhado de cópia autenticada do mandado de prisão e do texto "
        "das "
        "disposições legais aplicáveis.",
        "ru": "К запросу прилагаются заверенная копия решения об аресте и текст применимых "
        "правовых норм.",
        "ar": "يجب أن يُرفق بالطلب نسخة مصدّقة من أمر القبض ونص الأحكام القانونية المنطبقة.",
    },
    "tsp_req": {
        "en": "The written consent of the sentenced person must be enclosed.",
        "fr": "Le consentement écrit de la personne condamnée doit être joint.",
        "es": "Debe adjuntarse el consentimiento escrito de la persona condenada.",
        "pt": "Deve ser anexado o consentimento escrito da pessoa condenada.",
        "ru": "К запросу прилагается письменное согласие осуждённого.",
        "ar": "يجب إرفاق الموافقة الكتابية للشخص المحكوم عليه.",
    },
    "sea_req": {
        "en": "Requests must give the vessel's name, flag, registration details and last known "
        "position.",
        "fr": "La demande doit indiquer le nom, le pavillon, l'immatriculation et la dernière "
        "position connue "
        "du navire.",
        "es": "La solicitud debe indicar el nombre, el pabellón, la matrícula y la última "
        "posición conocida "
        "del buque.",
        "pt": "O pedido deve indicar o nome, a bandeira, o registro e a última posição conhecida "
        "da "
        "embarcação.",
    },
    "mla_urgent": {
        "en": "Advance copies by email are accepted; the original must follow through the central "
        "authority "
        "within 30 days.",
        "fr": "Une copie anticipée par courriel est acceptée ; l'original doit suivre par "
        "l'autorité centrale "
        "dans un délai de 30 jours.",
        "es": "Se acepta copia anticipada por correo electrónico; el original debe remitirse por "
        "la autoridad "
        "central en un plazo de 30 días.",
        "pt": "Aceita-se cópia antecipada por correio eletrônico; o original deve seguir pela "
        "autoridade "
        "central no prazo de 30 dias.",
    },
    "extr_urgent": {
        "en": "Requests for provisional arrest may be sent through INTERPOL pending the formal "
        "request.",
        "fr": "Les demandes d'arrestation provisoire peuvent être transmises par INTERPOL dans "
        "l'attente de la "
        "demande formelle.",
        "es": "Las solicitudes de detención provisional pueden transmitirse por INTERPOL a la "
        "espera de la "
        "solicitud formal.",
        "pt": "Os pedidos de prisão preventiva podem ser transmitidos pela INTERPOL enquanto se "
        "aguarda o "
        "pedido formal.",
    },
    "sea_urgent": {
        "en": "Requests to board or search a vessel are handled around the clock; confirm in "
        "writing within "
        "24 hours.",
        "fr": "Les demandes de visite d'un navire sont traitées 24 heures sur 24 ; une "
        "confirmation écrite doit "
        "suivre dans les 24 heures.",
        "es": "Las solicitudes de visita de un buque se atienden las 24 horas; debe confirmarse "
        "por escrito en "
        "un plazo de 24 horas.",
        "pt": "Os pedidos de visita a uma embarcação são atendidos 24 horas por dia; a "
        "confirmação por escrito "
        "deve seguir em 24 horas.",
    },
    "scope_no_treaty": {
        "en": "Requests from States with which no bilateral treaty is in force.",
        "fr": "Demandes émanant d'États avec lesquels aucun traité bilatéral n'est en vigueur.",
        "es": "Solicitudes de Estados con los que no hay un tratado bilateral en vigor.",
        "pt": "Pedidos de Estados com os quais não há tratado bilateral em vigor.",
    },
    "scope_proceeds": {
        "en": "Requests concerning the identification, freezing and confiscation of proceeds of "
        "crime.",
        "fr": "Demandes relatives à l'identification, au gel et à la confiscation des produits "
        "du crime.",
        "es": "Solicitudes relativas a la identificación, el embargo y el decomiso del producto "
        "del delito.",
        "pt": "Pedidos relativos à identificação, ao bloqueio e ao confisco do produto do crime.",
    },
    "es_ok": {"en": "Requests in Spanish are accepted without translation."},
    "fr_ok": {"en": "Requests in French are accepted without translation."},
    "quote_ref": {"en": "Please quote the reference of any previous correspondence."},
    "copy_embassy": {
        "en": "A copy of each request sent through diplomatic channels should also be emailed."
    },
}

#: Contact-person titles: (head of the body, contact person for cooperation).
TITLES: Final[dict[str, tuple[str, str]]] = {
    "en": ("Head of Unit", "Contact person for international cooperation"),
    "pt": ("Chefe de Divisão", "Ponto focal para cooperação internacional"),
    "es": ("Responsable de la Unidad", "Punto focal de cooperación internacional"),
    "ca": ("Responsable de l'Oficina", "Punt focal de cooperació internacional"),
    "fr": ("Responsable du bureau", "Point focal pour la coopération internationale"),
    "de": ("Referatsleitung", "Ansprechstelle für internationale Zusammenarbeit"),
    "it": ("Responsabile dell'ufficio", "Punto di contatto per la cooperazione internazionale"),
    "nl": ("Hoofd van de afdeling", "Contactpersoon internationale samenwerking"),
    "sv": ("Enhetschef", "Kontaktperson för internationellt samarbete"),
    "nb": ("Seksjonssjef", "Kontaktperson for internasjonalt samarbeid"),
    "fi": ("Yksikön päällikkö", "Kansainvälisen yhteistyön yhteyshenkilö"),
    "pl": ("Naczelnik wydziału", "Osoba kontaktowa ds. współpracy międzynarodowej"),
    "cs": ("Vedoucí oddělení", "Kontaktní osoba pro mezinárodní spolupráci"),
    "hu": ("Főosztályvezető", "Nemzetközi együttműködési kapcsolattartó"),
    "ro": ("Șef serviciu", "Persoană de contact pentru cooperare internațională"),
    "el": ("Επικεφαλής Τμήματος", "Σημείο επαφής για τη διεθνή συνεργασία"),
    "ru": ("Начальник отдела", "Контактное лицо по вопросам международного сотрудничества"),
    "uk": ("Начальник відділу", "Контактна особа з питань міжнародного співробітництва"),
    "sr": ("Начелник одељења", "Контакт особа за међународну сарадњу"),
    "bg": ("Началник на отдел", "Лице за контакт по международно сътрудничество"),
    "kk": ("Бөлім басшысы", "Халықаралық ынтымақтастық жөніндегі байланыс тұлғасы"),
    "mn": ("Хэлтсийн дарга", "Олон улсын хамтын ажиллагааны асуудал хариуцсан ажилтан"),
    "tr": ("Daire Başkanı", "Uluslararası iş birliği irtibat görevlisi"),
    "zh": ("处长", "国际合作联络人"),
    "ja": ("室長", "国際協力担当窓口"),
    "ko": ("과장", "국제협력 담당자"),
    "vi": ("Trưởng phòng", "Đầu mối hợp tác quốc tế"),
    "id": ("Kepala Subdirektorat", "Narahubung kerja sama internasional"),
    "ms": ("Ketua Bahagian", "Pegawai perhubungan kerjasama antarabangsa"),
    "fil": ("Pinuno ng Dibisyon", "Tagapag-ugnay para sa pandaigdigang kooperasyon"),
    "ar": ("رئيس القسم", "جهة الاتصال للتعاون الدولي"),
    "fa": ("رئیس اداره", "رابط همکاری‌های بین‌المللی"),
    "ur": ("شعبے کے سربراہ", "بین الاقوامی تعاون کے لیے رابطہ افسر"),
    "he": ("ראש המחלקה", "איש קשר לשיתוף פעולה בינלאומי"),
    "hi": ("प्रभाग प्रमुख", "अंतरराष्ट्रीय सहयोग संपर्क अधिकारी"),
    "ne": ("शाखा प्रमुख", "अन्तर्राष्ट्रिय सहयोग सम्पर्क अधिकृत"),
    "bn": ("শাখা প্রধান", "আন্তর্জাতিক সহযোগিতা বিষয়ক যোগাযোগ কর্মকর্তা"),
    "th": ("ผู้อำนวยการกอง", "ผู้ประสานงานความร่วมมือระหว่างประเทศ"),
    "ka": ("განყოფილების უფროსი", "საერთაშორისო თანამშრომლობის საკონტაქტო პირი"),
    "hy": ("Վարչության պետ", "Միջազգային համագործակցության կոնտակտային անձ"),
    "sw": ("Mkuu wa Kitengo", "Mratibu wa ushirikiano wa kimataifa"),
}

# --------------------------------------------------------------------------
# Telephone numbers
# --------------------------------------------------------------------------

#: National significant numbers (or their prefixes) set aside for fiction.
FICTION_NUMBERS: Final[dict[tuple[str, str], tuple[str, ...]]] = {
    ("US", "fixed"): ("20255501", "21255501", "51055501"),
    ("US", "mobile"): ("20255501", "21255501"),
    ("CA", "fixed"): ("61355501", "51455501"),
    ("CA", "mobile"): ("61355501",),
    ("JM", "fixed"): ("87655501",),
    ("JM", "mobile"): ("87655501",),
    ("GB", "fixed"): ("2079460",),
    ("AU", "fixed"): ("25550", "37010"),
    ("AU", "mobile"): (
        "491570006",
        "491570156",
        "491570157",
        "491570158",
        "491570159",
        "491570110",
        "491570313",
        "491570737",
        "491571266",
        "491571491",
        "491571804",
        "491572549",
        "491572665",
        "491572983",
    ),
    ("FR", "fixed"): ("19900",),
}
FIXED_TYPES: Final = frozenset(
    {phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
)
MOBILE_TYPES: Final = frozenset(
    {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}
)


#: Local fixed-line patterns ("x" = any digit) so that numbers carry the area code of the
#: office's city; keyed by country or by "COUNTRY-BODYKEY". Fiction ranges where they exist.
FIXED_PATTERNS: Final[dict[str, str]] = {
    "BRA": "61 2025 xxxx",
    "BRA-PRCI-SP": "11 3269 xxxx",
    "BRA-CCIM": "21 2104 xxxx",
    "ARG": "11 4819 xxxx",
    "ARG-DOM": "11 4318 xxxx",
    "MEX": "55 5346 xxxx",
    "MEX-DGEAJ": "55 3686 xxxx",
    "MEX-UCAFE": "55 5395 xxxx",
    "COL": "601 444 xxxx",
    "COL-UCIAL": "601 570 xxxx",
    "COL-CCAM": "605 655 xxxx",
    "CHL": "2 2965 xxxx",
    "PER": "1 625 xxxx",
    "PER-COGC": "1 613 xxxx",
    "USA": "202 555 01xx",
    "USA-NY-SICU": "212 555 01xx",
    "USA-PAMLE": "510 555 01xx",
    "CAN": "613 555 01xx",
    "CAN-BEJQ": "514 555 01xx",
    "DOM": "809 533 xxxx",
    "TTO": "868 623 xxxx",
    "CUB": "7 838 xxxx",
    "GTM": "2411 xxxx",
    "CRI": "2295 xxxx",
    "CRI-CCOM": "2661 xxxx",
    "PAN": "511 xxxx",
    "URY": "2915 xxxx",
    "FRA": "1 99 00 xx xx",
    "FRA-CCAEM": "2 61 91 xx xx",
    "DEU": "228 9958 xxxx",
    "DEU-BKA-NKW": "611 55 xxxxx",
    "DEU-MKZB": "4721 7xx xxx",
    "ESP": "91 390 xx xx",
    "ESP-OCJIC": "93 316 xx xx",
    "ESP-CCVM": "91 514 xx xx",
    "ITA": "06 6885 xxxx",
    "ITA-CNSM": "06 4422 xxxx",
    "PRT": "21 392 xxxx",
    "PRT-CCOM": "21 091 xxxx",
    "GBR": "20 7946 0xxx",
    "AUT": "1 52152 xxxx",
    "POL": "22 521 xx xx",
    "RUS": "495 955 xx xx",
    "UKR": "44 364 xx xx",
    "SRB": "11 3620 xxx",
    "BGR": "2 9237 xxx",
    "HUN": "1 795 xxxx",
    "ROU": "21 3140 xxx",
    "CZE": "221 997 xxx",
    "GRC": "210 776 xxxx",
    "GRC-KELS": "210 411 xxxx",
    "CHE": "31 322 xx xx",
    "NLD": "70 370 xxxx",
    "NLD-KWC": "223 542 xxx",
    "SWE": "8 405 xx xx",
    "FIN": "9 1606 xxxx",
    "BEL": "2 542 xx xx",
    "NOR": "22 24 xx xx",
    "KAZ": "7172 71 xx xx",
    "UZB": "71 233 xx xx",
    "CHN": "10 6520 xxxx",
    "JPN": "3 3580 xxxx",
    "KOR": "2 2110 xxxx",
    "KOR-KCG-ICD": "32 835 xxxx",
    "MNG": "11 26 xx xx",
    "IND": "11 2309 xxxx",
    "IND-EXC": "11 2301 xxxx",
    "IND-MOCC": "11 2338 xxxx",
    "PAK": "51 920 xxxx",
    "PAK-MOC": "21 9921 xxxx",
    "BGD": "2 955 xxxx",
    "LKA": "11 232 xxxx",
    "NPL": "1 420 xxxx",
    "IRN": "21 6612 xxxx",
    "IRN-MOCC": "76 3355 xxxx",
    "THA": "2 142 xxxx",
    "THA-MOCC": "38 437 xxx",
    "VNM": "24 3825 xxxx",
    "IDN": "21 520 xxxx",
    "IDN-PKOL": "411 872 xxx",
    "IDN-PKNSA": "21 721 xxxx",
    "PHL": "2 8523 xxxx",
    "MYS": "3 8872 xxxx",
    "SAU": "11 401 xxxx",
    "ARE": "2 681 xxxx",
    "QAT": "4433 xxxx",
    "JOR": "6 460 xxxx",
    "LBN": "1 422 xxx",
    "ISR": "2 646 xxxx",
    "TUR": "312 414 xx xx",
    "TUR-SGHM": "312 417 xx xx",
    "GEO": "32 240 5x xx",
    "ARM": "10 58 xx xx",
    "EGY": "2 2792 xxxx",
    "EGY-ECGOC": "3 480 xxxx",
    "MAR": "537 21 xx xx",
    "MAR-CCOM": "522 22 xx xx",
    "DZA": "21 9x xx xx",
    "TUN": "71 561 xxx",
    "NGA": "209 461 xxxx",
    "NGA-MDAC": "201 263 xxxx",
    "KEN": "20 222 xxxx",
    "ZAF": "12 315 xxxx",
    "ZAF-MLECC": "21 787 xxxx",
    "SEN": "33 849 xx xx",
    "CIV": "27 20 2x xx xx",
    "ETH": "11 551 xxxx",
    "GHA": "30 266 xxxx",
    "TZA": "26 232 xxxx",
    "CMR": "222 23 xx xx",
    "AUS": "2 5550 xxxx",
    "AUS-MBOC": "8 7010 xxxx",
    "NZL": "4 472 xxxx",
    "FJI": "331 xxxx",
    "PNG": "327 xxxx",
}


class PhoneFactory:
    """Hands out unique, valid numbers for a region, deterministically."""

    def __init__(self) -> None:
        self._used: set[str] = set()
        self.pattern_misses: list[str] = []

    @staticmethod
    def _acceptable(number: phonenumbers.PhoneNumber, region: str, line: str) -> bool:
        if not phonenumbers.is_valid_number(number):
            return False
        if phonenumbers.region_code_for_number(number) != region:
            return False
        wanted = MOBILE_TYPES if line == "mobile" else FIXED_TYPES
        return phonenumbers.number_type(number) in wanted

    @staticmethod
    def _candidates(
        region: str, line: str, rng: random.Random, pattern: str | None
    ) -> Iterator[str]:
        if pattern is not None:
            digits = pattern.replace(" ", "")
            for _ in range(120):
                yield "".join(rng.choice("0123456789") if ch == "x" else ch for ch in digits)
        ptype = (
            phonenumbers.PhoneNumberType.MOBILE
            if line == "mobile"
            else phonenumbers.PhoneNumberType.FIXED_LINE
        )
        example = phonenumbers.example_number_for_type(
            region, ptype
        ) or phonenumbers.example_number(region)
        if example is None:
            raise RuntimeError(f"phonenumbers has no example number for {region}")
        base = phonenumbers.national_significant_number(example)
        for prefix in FICTION_NUMBERS.get((region, line), ()):
            for _ in range(40 if len(prefix) < len(base) else 1):
                fill = len(base) - len(prefix)
                yield prefix + "".join(rng.choice("0123456789") for _ in range(fill))
        for attempt in range(600):
            width = 2 if attempt < 150 else 3 if attempt < 350 else 4
            yield base[:-width] + "".join(rng.choice("0123456789") for _ in range(width))

    def make(
        self, region: str, line: str, rng: random.Random, pattern: str | None = None
    ) -> phonenumbers.PhoneNumber:
        """A new valid number of ``line`` ("fixed" or "mobile") for ``region``.

        A fixed line follows ``pattern`` when one of its numbers is valid; a miss is noted
        in ``pattern_misses`` and the number falls back to the fiction or example ranges.
        """
        code = phonenumbers.country_code_for_region(region)
        wanted = pattern.replace(" ", "") if pattern is not None and line == "fixed" else None
        for nsn in self._candidates(region, line, rng, wanted):
            number = phonenumbers.parse(f"+{code}{nsn}")
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            if e164 not in self._used and self._acceptable(number, region, line):
                self._used.add(e164)
                if wanted is not None and not re.fullmatch(wanted.replace("x", r"\d"), nsn):
                    self.pattern_misses.append(f"{region} {pattern}")
                return number
        raise RuntimeError(f"no valid {line} number found for {region}")


def format_phone(number: phonenumbers.PhoneNumber, national: bool) -> str:
    """INTERNATIONAL format, or NATIONAL (read in the record's country) when asked."""
    fmt = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if national
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, fmt)


# --------------------------------------------------------------------------
# Record generation
# --------------------------------------------------------------------------


def alpha2(alpha3: str) -> str:
    """ISO 3166-1 alpha-2 code of an alpha-3 code."""
    country = pycountry.countries.get(alpha_3=alpha3)
    if country is None:
        raise KeyError(alpha3)
    return str(country.alpha_2)


def rng_for(*parts: str) -> random.Random:
    """A random generator seeded from a string: stable across runs and Python versions."""
    return random.Random("|".join(("cna-demo", *parts)))


def random_date(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    """A uniformly drawn date in [start, end]."""
    if end < start:
        raise ValueError(f"empty date range {start}..{end}")
    return start + dt.timedelta(days=rng.randint(0, (end - start).days))


_ASCII_FOLD: Final = str.maketrans(
    {
        "ł": "l",
        "Ł": "L",
        "ø": "o",
        "Ø": "O",
        "đ": "d",
        "Đ": "D",
        "ß": "ss",
        "ı": "i",
        "æ": "ae",
        "œ": "oe",
        "ð": "d",
        "þ": "th",
    }
)


def ascii_slug(text: str, sep: str = ".") -> str:
    """Lower-case ASCII form of a person's name for an e-mail local part."""
    folded = unicodedata.normalize("NFKD", text.translate(_ASCII_FOLD))
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch)).lower()
    words = re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", plain)
    return sep.join(words)


def local_langs(name: Mapping[str, str]) -> list[str]:
    """Non-English keys of a text map, in order."""
    return [tag for tag in name if tag != "en"]


def localized(note: str, langs: Iterable[str], en_first: bool = True) -> TextMap:
    """A text map of a stock note in English plus whichever of ``langs`` it has."""
    texts = NOTE_TEXTS[note]
    local = {tag: texts[tag] for tag in dict.fromkeys(langs) if tag != "en" and tag in texts}
    return {"en": texts["en"], **local} if en_first else {**local, "en": texts["en"]}


def pick(rng: random.Random, probability: float) -> bool:
    """True with the given probability."""
    return rng.random() < probability


def ordered(values: Iterable[str], order: Sequence[str]) -> list[str]:
    """Distinct values sorted by their position in ``order``."""
    return sorted(set(values), key=order.index)


@dataclasses.dataclass
class Context:
    """Mutable state shared while building the data set."""

    phones: PhoneFactory
    index: int = 0
    person_cursor: dict[str, int] = dataclasses.field(default_factory=dict)


def designation_rows(b: Body, rng: random.Random) -> list[tuple[str, str]]:
    """The (instrument, article) pairs a body holds, in role order, without duplicates."""
    rows: list[tuple[str, str]] = []
    for role in b.roles:
        for row, probability in ROLE_ROWS[role]:
            if row not in rows and pick(rng, probability):
                rows.append(row)
    return rows


def request_languages(c: Country, b: Body, rng: random.Random) -> list[str]:
    """Languages in which a designation accepts requests."""
    langs = list(b.langs or c.langs)
    for extra, probability in (("en", 0.85), ("fr", 0.25), ("es", 0.25)):
        if extra not in langs and pick(rng, probability):
            langs.append(extra)
    return langs


def make_channels(dtype: str, rng: random.Random) -> list[str]:
    """Channels through which requests of a type may be sent."""
    if dtype == "extradition":
        chosen = ["diplomatic"] + (["central_authority"] if pick(rng, 0.6) else [])
    elif dtype == "mutual_legal_assistance":
        chosen = ["central_authority"]
        chosen += ["diplomatic"] if pick(rng, 0.5) else []
        chosen += ["direct_judicial"] if pick(rng, 0.25) else []
    elif dtype == "firearms_focal_point":
        chosen = ["central_authority"] + (["interpol"] if pick(rng, 0.6) else [])
    else:
        chosen = ["central_authority"] + (["diplomatic"] if pick(rng, 0.4) else [])
    return ordered(chosen, CHANNELS)


def make_means(dtype: str, rng: random.Random) -> list[str]:
    """Means by which requests of a type may be sent."""
    if dtype in ("illicit_traffic_by_sea", "migrant_smuggling_by_sea"):
        chosen = (
            ["email"]
            + (["fax"] if pick(rng, 0.6) else [])
            + (["secure_platform"] if pick(rng, 0.3) else [])
        )
    elif dtype in ("firearms_focal_point", "corruption_prevention"):
        chosen = (
            ["email"]
            + (["post"] if pick(rng, 0.5) else [])
            + (["secure_platform"] if pick(rng, 0.4) else [])
        )
    else:
        chosen = ["post"]
        for means, probability in (
            ("email", 0.7),
            ("courier", 0.25),
            ("secure_platform", 0.3),
            ("fax", 0.15),
        ):
            if pick(rng, probability):
                chosen.append(means)
    return ordered(chosen, MEANS)


def make_urgent(dtype: str, langs: Sequence[str], rng: random.Random) -> Json | None:
    """Urgent-case arrangements, or None."""
    if dtype == "mutual_legal_assistance" and pick(rng, 0.45):
        channels = ["interpol"] + (["direct_judicial"] if pick(rng, 0.3) else [])
        means = ["email"] + (["fax"] if pick(rng, 0.3) else [])
        note = "mla_urgent"
    elif dtype == "extradition" and pick(rng, 0.5):
        channels, means, note = (
            ["interpol"],
            ["email"] + (["fax"] if pick(rng, 0.4) else []),
            "extr_urgent",
        )
    elif dtype in ("illicit_traffic_by_sea", "migrant_smuggling_by_sea") and pick(rng, 0.7):
        channels, means, note = ["central_authority"], ["email", "fax"], "sea_urgent"
    else:
        return None
    return {
        "channels": ordered(channels, CHANNELS),
        "means": ordered(means, MEANS),
        "notes": localized(note, langs),
    }


def make_requirements(dtype: str, langs: Sequence[str], rng: random.Random) -> Json:
    """Legal requirements for requests of a type."""
    note: str | None = None
    basis: bool | None
    dual: str | None
    if dtype == "extradition":
        basis = rng.choice([True, True, False, None])
        dual = "required" if pick(rng, 0.85) else None
        note = "extr_req" if pick(rng, 0.5) else None
    elif dtype == "mutual_legal_assistance":
        basis = rng.choice([True, True, False, None])
        dual = rng.choice(
            ["coercive_measures_only", "coercive_measures_only", "not_required", "required", None]
        )
        note = "mla_req" if pick(rng, 0.4) else None
    elif dtype == "transfer_of_sentenced_persons":
        basis = rng.choice([True, False, None])
        dual = "required" if pick(rng, 0.6) else None
        note = "tsp_req" if pick(rng, 0.4) else None
    elif dtype in ("illicit_traffic_by_sea", "migrant_smuggling_by_sea"):
        basis = rng.choice([True, None])
        dual = None
        note = "sea_req" if pick(rng, 0.3) else None
    else:
        basis, dual = None, None
    out: Json = {"legal_basis_convention": basis, "dual_criminality": dual}
    if note is not None:
        out["notes"] = localized(note, langs)
    return out


def notification_ref(instrument: str, since: dt.date, rng: random.Random) -> str | None:
    """A depositary notification reference in the UN Treaty Collection style, or None."""
    if not pick(rng, 0.7):
        return None
    return f"C.N.{rng.randint(12, 968)}.{since.year}.TREATIES-{TREATY_CHAPTER[instrument]}"


def make_designation(
    c: Country,
    b: Body,
    row: tuple[str, str],
    since: dt.date,
    until: dt.date | None,
    rng: random.Random,
) -> Json:
    """One designation object in interchange key order."""
    instrument, article = row
    dtype = ARTICLE_TABLE[row]
    langs = request_languages(c, b, rng)
    own = b.langs or c.langs  # stock notes are translated into the body's own languages only
    scope: TextMap | None = b.scope
    if scope is None and pick(rng, 0.1):
        if dtype == "mutual_legal_assistance":
            note = rng.choice(["scope_no_treaty", "scope_proceeds"])
            scope = localized(note, own, en_first=False)
        elif dtype == "extradition":
            scope = localized("scope_no_treaty", own, en_first=False)
    return {
        "type": dtype,
        "instrument": instrument,
        "article": article,
        "territory": list(b.territory),
        "scope": scope,
        "since": since.isoformat(),
        "until": until.isoformat() if until else None,
        "notification": notification_ref(instrument, since, rng),
        "languages": langs,
        "channels": make_channels(dtype, rng),
        "means": make_means(dtype, rng),
        "urgent": make_urgent(dtype, own, rng),
        "requirements": make_requirements(dtype, own, rng),
    }


def make_designations(c: Country, b: Body) -> list[Json]:
    """All designations of a body (with an older, superseded twin for ``superseded`` bodies)."""
    rng = rng_for(c.code, b.key, "designations")
    out: list[Json] = []
    for position, row in enumerate(designation_rows(b, rng)):
        start = INSTRUMENT_START[row[0]]
        if b.withdrawn is not None:
            since = random_date(rng, start, b.withdrawn - dt.timedelta(days=400))
            out.append(make_designation(c, b, row, since, b.withdrawn, rng))
        elif b.superseded and position == 0:
            since = random_date(rng, start + dt.timedelta(days=1500), LATEST_SINCE)
            older = random_date(rng, start, since - dt.timedelta(days=700))
            out.append(make_designation(c, b, row, since, None, rng))
            out.append(make_designation(c, b, row, older, since - dt.timedelta(days=1), rng))
        else:
            out.append(
                make_designation(c, b, row, random_date(rng, start, LATEST_SINCE), None, rng)
            )
    return out


def email_domain(c: Country, b: Body, rng: random.Random) -> str:
    """A reserved example domain for a body (RFC 2606 / RFC 6761)."""
    key = re.sub(r"[^a-z0-9]+", "-", b.key.lower()).strip("-")
    cc = c.code.lower()
    patterns = (
        f"{key}.{cc}.example",
        f"{key}-{cc}.example.org",
        f"{key}.gov-{cc}.example.org",
        f"{key}-{cc}.example.net",
        f"{key}-{cc}.example.com",
    )
    return rng.choice(patterns)


def office_hours(c: Country, b: Body, rng: random.Random) -> list[Json]:
    """Opening hours: 24/7 for operations rooms, otherwise the local working week."""
    if "sea" in b.roles:
        return [{"days": list(DAYS), "opens": "00:00", "closes": "23:59"}]
    if c.week == "uae":
        return [
            {"days": ["mon", "tue", "wed", "thu"], "opens": "07:30", "closes": "15:30"},
            {"days": ["fri"], "opens": "07:30", "closes": "12:00"},
        ]
    if c.week == "sun-fri":
        return [
            {"days": ["sun", "mon", "tue", "wed", "thu"], "opens": "10:00", "closes": "17:00"},
            {"days": ["fri"], "opens": "10:00", "closes": "15:00"},
        ]
    days = {
        "mon-fri": ["mon", "tue", "wed", "thu", "fri"],
        "sun-thu": ["sun", "mon", "tue", "wed", "thu"],
        "sat-wed": ["sat", "sun", "mon", "tue", "wed"],
    }[c.week]
    if c.lunch_break:
        return [
            {"days": days, "opens": "09:00", "closes": "12:30"},
            {"days": days, "opens": "14:00", "closes": "17:30"},
        ]
    opens, closes = rng.choice(
        [
            ("08:00", "16:00"),
            ("08:30", "17:00"),
            ("09:00", "17:00"),
            ("09:00", "18:00"),
            ("08:00", "15:00"),
            ("07:30", "15:30"),
        ]
    )
    return [{"days": days, "opens": opens, "closes": closes}]


def title_map(name: Mapping[str, str], country_langs: Sequence[str], which: int) -> TextMap:
    """A contact's title in the body's languages that have a translation, plus English."""
    tags = [tag.split("-")[0] for tag in local_langs(name)] or [
        t for t in country_langs if t != "en"
    ]
    out = {tag: TITLES[tag][which] for tag in dict.fromkeys(tags) if tag in TITLES and tag != "en"}
    out["en"] = TITLES["en"][which]
    return out


def make_contacts(
    ctx: Context, c: Country, b: Body, name: TextMap, domain: str, rng: random.Random
) -> list[Json]:
    """Named (fictional) contact persons: restricted data in the service."""
    if not pick(rng, 0.85):
        return []
    count = 2 if pick(rng, 0.35) else 1
    region = alpha2(c.code)
    dial = FIXED_PATTERNS.get(f"{c.code}-{b.key}", FIXED_PATTERNS.get(c.code))
    contacts: list[Json] = []
    for which in range(count):
        cursor = ctx.person_cursor.get(c.code, 0)
        ctx.person_cursor[c.code] = cursor + 1
        person = c.people[cursor % len(c.people)]
        phones: list[Json] = []
        if pick(rng, 0.75):
            phones.append(
                {
                    "number": format_phone(ctx.phones.make(region, "fixed", rng, dial), False),
                    "kind": "voice",
                }
            )
        if not phones or pick(rng, 0.4):
            phones.append(
                {
                    "number": format_phone(ctx.phones.make(region, "mobile", rng), False),
                    "kind": "mobile",
                }
            )
        langs = [c.langs[0]] + (["en"] if c.langs[0] != "en" else [])
        langs += [extra for extra in ("fr", "es") if extra not in langs and pick(rng, 0.15)]
        contacts.append(
            {
                "name": person,
                "title": title_map(name, c.langs, which),
                "phones": phones,
                "emails": [{"address": f"{ascii_slug(person)}@{domain}"}],
                "languages": langs,
            }
        )
    return contacts


def make_record(ctx: Context, c: Country, b: Body) -> Json:
    """One authority record in interchange key order."""
    rng = rng_for(c.code, b.key, "record")
    region = alpha2(c.code)
    dial = FIXED_PATTERNS.get(f"{c.code}-{b.key}", FIXED_PATTERNS.get(c.code))
    index = ctx.index
    ctx.index += 1
    ref = f"DEMO-{c.code}-{b.key}"
    kind = b.kind or ROLE_KIND[b.roles[0]]
    domain = email_domain(c, b, rng)
    address = b.address or c.address
    parent = b.parent if b.parent is not None else (c.ministry if b.inherit_parent else None)
    national_first = index % 9 == 4

    phones: list[Json] = [
        {
            "number": format_phone(ctx.phones.make(region, "fixed", rng, dial), national_first),
            "kind": "voice",
            "label": "Operations room (24/7)"
            if "sea" in b.roles
            else rng.choice(["Switchboard", "Secretariat", "Requests desk"]),
            "restricted": False,
        }
    ]
    if pick(rng, 0.55):
        phones.append(
            {
                "number": format_phone(ctx.phones.make(region, "fixed", rng, dial), False),
                "kind": "fax",
                "label": "Fax",
                "restricted": False,
            }
        )
    mailbox, mailbox_label = ROLE_MAILBOX[b.roles[0]]
    emails: list[Json] = [
        {"address": f"{mailbox}@{domain}", "label": mailbox_label, "restricted": False}
    ]
    if pick(rng, 0.4):
        emails.append({"address": f"registry@{domain}", "label": "Registry", "restricted": False})
    if index % 5 == 2:  # about one record in five has restricted data besides its contacts
        if (index // 5) % 2 == 0:
            phones.append(
                {
                    "number": format_phone(ctx.phones.make(region, "mobile", rng), False),
                    "kind": "mobile",
                    "label": "Duty officer (mobile)",
                    "restricted": True,
                }
            )
        else:
            emails.append(
                {"address": f"duty.officer@{domain}", "label": "Duty officer", "restricted": True}
            )

    designations = make_designations(c, b)
    langs = designations[0]["languages"]
    notes: TextMap = {"en": DEMO_NOTE_EN}
    extra = []
    if "es" in langs and "es" not in c.langs and pick(rng, 0.6):
        extra.append(NOTE_TEXTS["es_ok"]["en"])
    elif "fr" in langs and "fr" not in c.langs and pick(rng, 0.6):
        extra.append(NOTE_TEXTS["fr_ok"]["en"])
    if pick(rng, 0.3):
        extra.append(NOTE_TEXTS[rng.choice(["quote_ref", "copy_embassy"])]["en"])
    notes["en"] = " ".join([DEMO_NOTE_EN, *extra])
    for tag in local_langs(b.name):
        if tag in DEMO_NOTE_LOCAL:
            notes[tag] = DEMO_NOTE_LOCAL[tag]

    latest = max(dt.date.fromisoformat(d["until"] or d["since"]) for d in designations)
    verified = random_date(
        rng, max(dt.date(2025, 1, 6), latest + dt.timedelta(days=1)), dt.date(2026, 11, 20)
    )

    record: Json = {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"cna-demo:{c.code}:{ref}")),
        "ref": ref,
        "country": c.code,
        "kind": kind,
        "name": dict(b.name),
    }
    if b.acronym:
        record["acronym"] = b.acronym
    if parent is not None:
        record["parent"] = dict(parent)
    record["address"] = {
        key: value
        for key, value in (
            ("lines", list(address.lines)),
            ("locality", address.locality),
            ("region", address.region),
            ("postal_code", address.postal_code),
        )
        if value is not None
    }
    record["phones"] = phones
    record["emails"] = emails
    record["website"] = f"https://{domain}"
    zone = b.zone or c.zone
    if zone is not None:
        record["time_zone"] = zone
    record["office_hours"] = office_hours(c, b, rng)
    record["designations"] = designations
    record["contacts"] = make_contacts(ctx, c, b, b.name, domain, rng)
    record["notes"] = notes
    record["verified_on"] = verified.isoformat()
    record["status"] = "withdrawn" if b.withdrawn is not None else "active"
    return record


def build_records() -> list[Json]:
    """Every demo record, in a stable order."""
    ctx = Context(phones=PhoneFactory())
    records = [make_record(ctx, c, b) for c in COUNTRIES for b in c.bodies]
    for miss in sorted(set(ctx.phones.pattern_misses)):
        print(
            f"warning: no valid number for pattern {miss}; used the example range", file=sys.stderr
        )
    return records


README_TEXT: Final = """\
# CNA Directory — demo data (FICTIONAL)

**Everything in this folder is fictional demonstration data. These records are
NOT real designations of competent national authorities and must never be
used to send a real request.**

`authorities.ndjson` holds {records} authority records for {countries} countries, one
JSON record per line (UTF-8), in the interchange format v1
(`docs/interchange.md`). Every record is marked as demo data:

- its `ref` starts with `DEMO-`;
- its `notes.en` starts with `DEMO DATA — fictional record.`;
- every e-mail address and website is on a reserved example domain
  (`example.org`, `example.com`, `example.net` or `*.example`, RFC 2606);
- telephone numbers are valid in form for their country but invented; where
  a country reserves numbers for fiction (NANP 555-01XX, Ofcom 020 7946 0XXX,
  ACMA, ARCEP) those are used;
- people in `contacts[]` are invented.

Body names follow real naming patterns (ministries of justice, prosecution
services, coast guards) so that search, language and script handling can be
exercised realistically: names are given in the official language(s) and
script of each country (Arabic, Cyrillic, Chinese, Japanese, Korean, Greek,
Hebrew, Thai, Georgian, Armenian, Devanagari, Bengali, Sinhala, Tamil,
Ethiopic, Latin with diacritics…) plus English.

The records carry no `version` or `updated_at`: the directory assigns them
on import.

## Regenerate

The file is generated, do not edit it by hand. From the repository root:

```sh
.venv/bin/python seed_data/build_demo.py           # rewrite this folder
.venv/bin/python seed_data/build_demo.py --check   # validate it
```

The generator is deterministic (seeded from the record keys), so
regenerating without changing `build_demo.py` gives byte-identical output.
`--check` re-reads the NDJSON and verifies the format rules (phone validity,
e-mail syntax and reserved domains, ISO 3166-2 territories, IANA time zones
of the country, instrument/article/type agreement, BCP 47 tags, office
hours, coverage of regions and designation types) and exits non-zero on any
failure.
"""


def write_outputs(out_dir: Path) -> list[Json]:
    """Generate the records and write the NDJSON and README files."""
    records = build_records()
    out_dir.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(record, ensure_ascii=False, separators=(", ", ": ")) for record in records]
    (out_dir / NDJSON_NAME).write_text("\n".join(lines) + "\n", encoding="utf-8")
    countries = len({record["country"] for record in records})
    (out_dir / README_NAME).write_text(
        README_TEXT.format(records=len(records), countries=countries), encoding="utf-8"
    )
    return records


# --------------------------------------------------------------------------
# Self-check
# --------------------------------------------------------------------------

SCRIPT_OF_CHAR_NAME: Final[dict[str, str]] = {
    "LATIN": "Latn",
    "CYRILLIC": "Cyrl",
    "ARABIC": "Arab",
    "CJK": "Hani",
    "HIRAGANA": "Hira",
    "KATAKANA": "Kana",
    "KATAKANA-HIRAGANA": "Kana",
    "HANGUL": "Hang",
    "GREEK": "Grek",
    "HEBREW": "Hebr",
    "THAI": "Thai",
    "GEORGIAN": "Geor",
    "ARMENIAN": "Armn",
    "DEVANAGARI": "Deva",
    "BENGALI": "Beng",
    "SINHALA": "Sinh",
    "TAMIL": "Taml",
    "ETHIOPIC": "Ethi",
}
SCRIPT_ALLOWED: Final[dict[str, frozenset[str]]] = {
    "Hans": frozenset({"Hani"}),
    "Hant": frozenset({"Hani"}),
    "Jpan": frozenset({"Hani", "Hira", "Kana"}),
    "Kore": frozenset({"Hang", "Hani"}),
}
NOTIFICATION_RE: Final = re.compile(r"^C\.N\.(\d{1,4})\.(\d{4})\.TREATIES-[IVXL]+\.\d+(\.[a-z])?$")
HHMM_RE: Final = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
RESERVED_DOMAIN_RE: Final = re.compile(
    r"(^|\.)(example\.(org|com|net)|[a-z0-9-]+\.example|example)$"
)


def letter_scripts(text: str) -> Counter[str]:
    """ISO 15924 script of each letter or mark of ``text`` (unknown ones are skipped)."""
    found: Counter[str] = Counter()
    for ch in text:
        if unicodedata.category(ch)[0] not in "LM":
            continue
        script = SCRIPT_OF_CHAR_NAME.get(unicodedata.name(ch, "?").split(" ")[0])
        if script is not None:
            found[script] += 1
    return found


def expected_scripts(tag: str) -> frozenset[str]:
    """Scripts a text in language ``tag`` may use."""
    script = langcodes.Language.get(tag).maximize().script or "Latn"
    return SCRIPT_ALLOWED.get(script, frozenset({script}))


def load_zone_tab() -> dict[str, set[str]]:
    """Country (alpha-2) -> zones, from the tzdata package's zone.tab."""
    text = (
        importlib.resources.files("tzdata")
        .joinpath("zoneinfo", "zone.tab")
        .read_text(encoding="utf-8")
    )
    zones: dict[str, set[str]] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            fields = line.split("\t")
            zones.setdefault(fields[0], set()).add(fields[2])
    return zones


def is_reserved_domain(domain: str) -> bool:
    """True for example.org/.com/.net (and their subdomains) and names under .example."""
    return RESERVED_DOMAIN_RE.search(domain.lower()) is not None


class Checker:
    """Validates records read back from the NDJSON file; collects errors and tallies."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.zone_tab = load_zone_tab()
        self.zone_names = available_timezones()
        self.tallies: dict[str, Counter[str]] = {
            name: Counter()
            for name in (
                "kind",
                "type",
                "instrument",
                "status",
                "script",
                "subregion",
                "phone_format",
                "phone_kind",
                "misc",
            )
        }

    def fail(self, where: str, message: str) -> None:
        self.errors.append(f"{where}: {message}")

    # -- helpers -----------------------------------------------------------
    def check_keys(
        self, where: str, obj: Any, order: Sequence[str], required: Iterable[str] = ()
    ) -> bool:
        if not isinstance(obj, dict):
            self.fail(where, f"expected an object, got {type(obj).__name__}")
            return False
        keys = list(obj)
        unknown = [k for k in keys if k not in order]
        if unknown:
            self.fail(where, f"unknown keys {unknown}")
        known = [k for k in keys if k in order]
        if known != sorted(known, key=order.index):
            self.fail(where, f"keys out of interchange order: {known}")
        missing = [k for k in required if k not in obj]
        if missing:
            self.fail(where, f"missing keys {missing}")
        return not unknown and not missing

    def check_tag(self, where: str, tag: Any) -> None:
        if not isinstance(tag, str) or not langcodes.tag_is_valid(tag):
            self.fail(where, f"invalid BCP 47 tag {tag!r}")

    def check_text_map(self, where: str, value: Any, need_en: bool = False) -> None:
        if not isinstance(value, dict) or not value:
            self.fail(where, "text map must be a non-empty object")
            return
        for tag, text in value.items():
            self.check_tag(f"{where}[{tag}]", tag)
            if not isinstance(text, str) or not text.strip():
                self.fail(f"{where}[{tag}]", "text must be a non-empty string")
                continue
            if langcodes.tag_is_valid(tag):
                allowed = expected_scripts(tag)
                stray = set(letter_scripts(text)) - allowed
                if stray:
                    self.fail(
                        f"{where}[{tag}]",
                        f"letters in {sorted(stray)} but {tag} is written in "
                        f"{sorted(allowed)}: {text!r}",
                    )
        if need_en and "en" not in value:
            self.fail(where, "no English entry")

    def check_date(self, where: str, value: Any, low: dt.date, high: dt.date) -> dt.date | None:
        try:
            parsed = dt.date.fromisoformat(value)
        except (TypeError, ValueError):
            self.fail(where, f"not an ISO date: {value!r}")
            return None
        if not low <= parsed <= high:
            self.fail(where, f"{parsed} outside {low}..{high}")
        return parsed

    def check_phone(self, where: str, phone: Any, region: str, contact: bool) -> None:
        order = ("number", "kind") if contact else PHONE_KEYS
        if not self.check_keys(where, phone, order, ("number", "kind")):
            return
        number = phone["number"]
        try:
            parsed = phonenumbers.parse(number, region)
        except phonenumbers.NumberParseException as exc:
            self.fail(where, f"unparseable phone {number!r}: {exc}")
            return
        if not phonenumbers.is_valid_number(parsed):
            self.fail(where, f"phone {number!r} is not valid for {region}")
        elif phonenumbers.region_code_for_number(parsed) != region:
            self.fail(
                where,
                f"phone {number!r} belongs to {phonenumbers.region_code_for_number(parsed)}, "
                f"not {region}",
            )
        self.tallies["phone_format"]["international" if number.startswith("+") else "national"] += 1
        if phone["kind"] not in PHONE_KINDS:
            self.fail(where, f"bad phone kind {phone['kind']!r}")
        self.tallies["phone_kind"][phone["kind"]] += 1
        if "restricted" in phone and not isinstance(phone["restricted"], bool):
            self.fail(where, "restricted must be a boolean")

    def check_email(self, where: str, email: Any, contact: bool) -> None:
        order = ("address",) if contact else EMAIL_KEYS
        if not self.check_keys(where, email, order, ("address",)):
            return
        address = email["address"]
        try:
            validated = validate_email(address, check_deliverability=False)
        except EmailNotValidError as exc:
            self.fail(where, f"invalid e-mail {address!r}: {exc}")
            return
        if not is_reserved_domain(validated.domain):
            self.fail(where, f"e-mail {address!r} is not on a reserved example domain")
        if "restricted" in email and not isinstance(email["restricted"], bool):
            self.fail(where, "restricted must be a boolean")

    def check_enum_list(self, where: str, values: Any, allowed: Sequence[str]) -> None:
        if not isinstance(values, list) or not values:
            self.fail(where, "must be a non-empty list")
            return
        if len(set(values)) != len(values) or any(v not in allowed for v in values):
            self.fail(where, f"values {values} must be distinct members of {list(allowed)}")

    # -- the record --------------------------------------------------------
    def check_record(self, line_no: int, record: Any) -> None:
        where = f"line {line_no}"
        if not self.check_keys(where, record, RECORD_KEYS, REQUIRED_RECORD_KEYS):
            return
        country_code = record["country"]
        country = (
            pycountry.countries.get(alpha_3=country_code) if isinstance(country_code, str) else None
        )
        if country is None:
            self.fail(where, f"unknown ISO 3166-1 alpha-3 code {country_code!r}")
            return
        region = str(country.alpha_2)
        where = f"line {line_no} {country_code}/{record['ref']}"

        ref = record["ref"]
        if not isinstance(ref, str) or not ref.startswith("DEMO-") or len(ref) > 64:
            self.fail(where, "ref must start with DEMO- and be at most 64 characters")
        expected_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"cna-demo:{country_code}:{ref}"))
        if record["id"] != expected_id:
            self.fail(
                where,
                f"id {record['id']} is not uuid5(NAMESPACE_URL, 'cna-demo:{country_code}:{ref}')",
            )
        if record["kind"] not in KINDS:
            self.fail(where, f"bad kind {record['kind']!r}")
        self.tallies["kind"][record["kind"]] += 1
        if record["status"] not in STATUSES:
            self.fail(where, f"bad status {record['status']!r}")
        self.tallies["status"][record["status"]] += 1

        name = record["name"]
        self.check_text_map(f"{where} name", name, need_en=True)
        if isinstance(name, dict):
            local = [tag for tag in name if tag != "en"]
            if not local and country_code not in ENGLISH_ONLY:
                self.fail(where, "name has no entry in the country's own language")
            scripts: set[str] = set()
            for tag in local:
                scripts |= set(letter_scripts(name[tag]))
            for script in scripts or {"Latn (English only)"}:
                self.tallies["script"][script] += 1
            wanted = REQUIRED_NAME_SCRIPT.get(country_code)
            if wanted is not None and wanted not in scripts:
                self.fail(where, f"name has no {wanted} text")
        if "acronym" in record and (
            not isinstance(record["acronym"], str) or len(record["acronym"]) > 32
        ):
            self.fail(where, "acronym must be a string of at most 32 characters")
        if "parent" in record:
            self.check_text_map(f"{where} parent", record["parent"], need_en=True)
        else:
            self.tallies["misc"]["records without parent"] += 1

        address = record["address"]
        if self.check_keys(f"{where} address", address, ADDRESS_KEYS, ("lines", "locality")):
            lines = address["lines"]
            if (
                not isinstance(lines, list)
                or not 1 <= len(lines) <= 4
                or not all(isinstance(x, str) for x in lines)
            ):
                self.fail(where, "address.lines must hold 1 to 4 strings")

        for i, phone in enumerate(record["phones"]):
            self.check_phone(f"{where} phones[{i}]", phone, region, contact=False)
        for i, email in enumerate(record["emails"]):
            self.check_email(f"{where} emails[{i}]", email, contact=False)
        if not record["phones"] or not record["emails"]:
            self.fail(where, "at least one phone and one e-mail expected")
        if any(p.get("restricted") for p in record["phones"]) or any(
            e.get("restricted") for e in record["emails"]
        ):
            self.tallies["misc"]["records with restricted phone/e-mail"] += 1

        website = record["website"]
        match = (
            re.fullmatch(r"https://([a-z0-9.-]+)/?", website) if isinstance(website, str) else None
        )
        if match is None or not is_reserved_domain(match.group(1)):
            self.fail(where, f"website {website!r} must be https on a reserved example domain")

        self.check_zone(where, record.get("time_zone"), region)
        self.check_hours(where, record["office_hours"])

        designations = record["designations"]
        if not isinstance(designations, list) or not designations:
            self.fail(where, "at least one designation expected")
            designations = []
        name_langs = {tag.split("-")[0] for tag in name} if isinstance(name, dict) else set()
        latest = dt.date(1990, 1, 1)
        for i, designation in enumerate(designations):
            latest = max(
                latest,
                self.check_designation(
                    f"{where} designations[{i}]", designation, region, name_langs, record["status"]
                ),
            )

        contacts = record["contacts"]
        if not isinstance(contacts, list):
            self.fail(where, "contacts must be a list")
            contacts = []
        self.tallies["misc"][f"records with {len(contacts)} contact(s)"] += 1
        for i, contact in enumerate(contacts):
            cwhere = f"{where} contacts[{i}]"
            if not self.check_keys(cwhere, contact, CONTACT_KEYS, CONTACT_KEYS):
                continue
            if not isinstance(contact["name"], str) or not contact["name"].strip():
                self.fail(cwhere, "name must be a non-empty string")
            self.check_text_map(f"{cwhere} title", contact["title"], need_en=True)
            for j, phone in enumerate(contact["phones"]):
                self.check_phone(f"{cwhere} phones[{j}]", phone, region, contact=True)
            for j, email in enumerate(contact["emails"]):
                self.check_email(f"{cwhere} emails[{j}]", email, contact=True)
            for tag in contact["languages"]:
                self.check_tag(f"{cwhere} languages", tag)

        notes = record["notes"]
        self.check_text_map(f"{where} notes", notes, need_en=True)
        if not isinstance(notes, dict) or not str(notes.get("en", "")).startswith(DEMO_MARKER):
            self.fail(where, f"notes.en must start with {DEMO_MARKER!r}")
        verified = self.check_date(
            f"{where} verified_on",
            record["verified_on"],
            dt.date(2025, 1, 1),
            dt.date(2026, 12, 31),
        )
        if verified is not None and verified < latest:
            self.fail(where, f"verified_on {verified} precedes a designation date {latest}")

    def check_zone(self, where: str, zone: Any, region: str) -> None:
        zones = self.zone_tab.get(region, set())
        if zone is None:
            self.tallies["misc"]["records relying on the default time zone"] += 1
            if len(zones) != 1:
                self.fail(
                    where, f"time_zone omitted but {region} has {len(zones)} zones in zone.tab"
                )
            return
        if zone not in self.zone_names:
            self.fail(where, f"unknown IANA zone {zone!r}")
            return
        ZoneInfo(zone)
        if zone not in zones:
            self.fail(where, f"zone {zone} is not a zone of {region} in zone.tab ({sorted(zones)})")

    def check_hours(self, where: str, hours: Any) -> None:
        if not isinstance(hours, list) or not hours:
            self.fail(where, "office_hours must be a non-empty list")
            return
        for i, slot in enumerate(hours):
            swhere = f"{where} office_hours[{i}]"
            if not self.check_keys(swhere, slot, HOURS_KEYS, HOURS_KEYS):
                continue
            self.check_enum_list(f"{swhere} days", slot["days"], DAYS)
            opens, closes = slot["opens"], slot["closes"]
            if not (
                isinstance(opens, str)
                and HHMM_RE.match(opens)
                and isinstance(closes, str)
                and HHMM_RE.match(closes)
            ):
                self.fail(swhere, f"opens/closes must be HH:MM, got {opens!r}/{closes!r}")
            elif not opens < closes:
                self.fail(swhere, f"opens {opens} is not before closes {closes}")

    def check_designation(
        self, where: str, d: Any, region: str, name_langs: set[str], status: str
    ) -> dt.date:
        latest = dt.date(1990, 1, 1)
        if not self.check_keys(where, d, DESIGNATION_KEYS, DESIGNATION_KEYS):
            return latest
        triple = (d["instrument"], d["article"])
        if ARTICLE_TABLE.get(triple) != d["type"]:
            self.fail(
                where,
                f"{d['instrument']} art. {d['article']} -> {d['type']} is not a row of the table",
            )
        self.tallies["type"][d["type"]] += 1
        self.tallies["instrument"][d["instrument"]] += 1

        territory = d["territory"]
        if not isinstance(territory, list):
            self.fail(where, "territory must be a list")
        else:
            for code in territory:
                sub = pycountry.subdivisions.get(code=code)
                if sub is None:
                    self.fail(where, f"unknown ISO 3166-2 code {code!r}")
                elif sub.country_code != region:
                    self.fail(where, f"{code} is a subdivision of {sub.country_code}, not {region}")
        if d["scope"] is not None:
            self.check_text_map(f"{where} scope", d["scope"], need_en=True)

        since = self.check_date(
            f"{where} since", d["since"], dt.date(1990, 1, 1), dt.date(2025, 12, 31)
        )
        if since is not None:
            latest = since
            start = INSTRUMENT_START.get(d["instrument"])
            if start is not None and since < start:
                self.fail(
                    where,
                    f"since {since} precedes the entry into force of {d['instrument']} ({start})",
                )
        if d["until"] is not None:
            until = self.check_date(
                f"{where} until", d["until"], dt.date(1990, 1, 1), dt.date(2026, 12, 31)
            )
            if until is not None:
                latest = max(latest, until)
                if since is not None and until <= since:
                    self.fail(where, f"until {until} is not after since {since}")
            self.tallies["misc"]["designations with until"] += 1
        elif status == "withdrawn":
            self.fail(where, "designation of a withdrawn record has no until date")
        notification = d["notification"]
        if notification is not None:
            match = NOTIFICATION_RE.match(notification) if isinstance(notification, str) else None
            if match is None:
                self.fail(where, f"bad notification reference {notification!r}")
            elif since is not None and int(match.group(2)) != since.year:
                self.fail(
                    where, f"notification year {match.group(2)} differs from since {since.year}"
                )

        langs = d["languages"]
        if not isinstance(langs, list) or not langs:
            self.fail(where, "languages must be a non-empty list")
        else:
            for tag in langs:
                self.check_tag(f"{where} languages", tag)
            if not {str(tag).split("-")[0] for tag in langs} & name_langs:
                self.fail(
                    where,
                    f"languages {langs} include none of the name's languages {sorted(name_langs)}",
                )
        self.check_enum_list(f"{where} channels", d["channels"], CHANNELS)
        self.check_enum_list(f"{where} means", d["means"], MEANS)

        urgent = d["urgent"]
        if urgent is not None and self.check_keys(
            f"{where} urgent", urgent, URGENT_KEYS, ("channels", "means")
        ):
            self.check_enum_list(f"{where} urgent.channels", urgent["channels"], CHANNELS)
            self.check_enum_list(f"{where} urgent.means", urgent["means"], MEANS)
            if "notes" in urgent:
                self.check_text_map(f"{where} urgent.notes", urgent["notes"], need_en=True)
        req = d["requirements"]
        if self.check_keys(
            f"{where} requirements",
            req,
            REQUIREMENT_KEYS,
            ("legal_basis_convention", "dual_criminality"),
        ):
            if req["legal_basis_convention"] not in (True, False, None):
                self.fail(where, "legal_basis_convention must be a boolean or null")
            if (
                req["dual_criminality"] is not None
                and req["dual_criminality"] not in DUAL_CRIMINALITY
            ):
                self.fail(where, f"bad dual_criminality {req['dual_criminality']!r}")
            if "notes" in req:
                self.check_text_map(f"{where} requirements.notes", req["notes"], need_en=True)
        return latest

    # -- the whole set -----------------------------------------------------
    def check_set(self, records: list[Json]) -> None:
        by_country: Counter[str] = Counter(r.get("country", "?") for r in records)
        keys = Counter((r.get("country"), r.get("ref")) for r in records)
        for key, count in keys.items():
            if count > 1:
                self.fail("set", f"(country, ref) {key} appears {count} times")
        ids = Counter(r.get("id") for r in records)
        if any(count > 1 for count in ids.values()):
            self.fail("set", "duplicate ids")
        if not 120 <= len(records) <= 160:
            self.fail("set", f"{len(records)} records, expected 120-160")
        if len(by_country) < 60:
            self.fail("set", f"only {len(by_country)} countries, expected at least 60")
        missing = sorted(REQUIRED_COUNTRIES - set(by_country))
        if missing:
            self.fail("set", f"required countries missing: {missing}")
        for code, count in by_country.items():
            if not 1 <= count <= 3:
                self.fail("set", f"{code} has {count} records, expected 1-3")
            subregion = M49_SUBREGION.get(code)
            if subregion is None:
                self.fail("set", f"{code} has no M49 sub-region in the check table")
            else:
                self.tallies["subregion"][f"{M49_REGION[subregion]} / {subregion}"] += 1
        covered = set(M49_SUBREGION.get(c, "") for c in by_country)
        covered |= {M49_REGION[s] for s in covered if s in M49_REGION}
        for area in REQUIRED_AREAS:
            if area not in covered:
                self.fail("set", f"no country from {area}")
        for dtype in CORE_TYPES:
            if self.tallies["type"][dtype] < 10:
                self.fail(
                    "set", f"core type {dtype} appears only {self.tallies['type'][dtype]} times"
                )
        for dtype in OTHER_TYPES:
            if self.tallies["type"][dtype] < 2:
                self.fail("set", f"type {dtype} appears only {self.tallies['type'][dtype]} times")
        withdrawn = self.tallies["status"]["withdrawn"]
        if not 3 <= withdrawn <= 4:
            self.fail("set", f"{withdrawn} withdrawn records, expected 3-4")
        with_territory = sum(
            1 for r in records if any(d.get("territory") for d in r.get("designations", []))
        )
        self.tallies["misc"]["records limited to a territory"] = with_territory
        if not 3 <= with_territory <= 4:
            self.fail("set", f"{with_territory} records with a territory, expected 3-4")
        restricted = self.tallies["misc"]["records with restricted phone/e-mail"]
        if not 0.12 <= restricted / max(len(records), 1) <= 0.3:
            self.fail(
                "set", f"{restricted} records with restricted phone/e-mail: not about one in five"
            )
        if self.tallies["phone_format"]["national"] == 0:
            self.fail("set", "no phone in national format")
        if self.tallies["kind"]["central_authority"] <= len(records) / 2:
            self.fail("set", "central authorities should be the majority")
        self.check_fixtures(records)
        for code in LATIN_DIACRITIC_COUNTRIES:
            texts = [
                v
                for r in records
                if r.get("country") == code
                for t, v in r["name"].items()
                if t != "en"
            ]
            if not any(any(ord(ch) > 127 and ch.isalpha() for ch in text) for text in texts):
                self.fail("set", f"{code} names have no Latin letter with a diacritic")

    def check_fixtures(self, records: list[Json]) -> None:
        """Records that the search tests rely on."""

        def names(code: str) -> list[str]:
            return [v for r in records if r.get("country") == code for v in r["name"].values()]

        def localities(code: str) -> set[str]:
            return {r["address"].get("locality", "") for r in records if r.get("country") == code}

        fixtures = {
            "a Russian name containing «Министерство юстиции»": any(
                "Министерство юстиции" in n for n in names("RUS")
            ),
            "an Egyptian name in Arabic": any(
                "ar" in r["name"] for r in records if r.get("country") == "EGY"
            ),
            "a French name containing «Ministère»": any("Ministère" in n for n in names("FRA")),
            "a Brazilian record in São Paulo": "São Paulo" in localities("BRA"),
            "a Brazilian record in Brasília": "Brasília" in localities("BRA"),
            "a Brazilian name containing «Procuradoria»": any(
                "Procuradoria" in n for n in names("BRA")
            ),
            "a German name containing «Bundesamt für Justiz»": any(
                "Bundesamt für Justiz" in n for n in names("DEU")
            ),
        }
        for label, ok in fixtures.items():
            if not ok:
                self.fail("fixtures", f"missing {label}")


def run_check(out_dir: Path) -> int:
    """Validate the NDJSON on disk; print a summary; return the exit status."""
    path = out_dir / NDJSON_NAME
    checker = Checker()
    records: list[Json] = []
    try:
        raw = path.read_bytes()
    except OSError as exc:
        print(f"cannot read {path}: {exc}", file=sys.stderr)
        return 2
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        print(f"{path} is not UTF-8: {exc}", file=sys.stderr)
        return 1
    if not text.endswith("\n"):
        checker.fail("file", "does not end with a newline")
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            checker.fail(f"line {line_no}", "blank line")
            continue
        if "\\u" in line:
            checker.fail(
                f"line {line_no}", "escaped non-ASCII text (write with ensure_ascii=False)"
            )
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            checker.fail(f"line {line_no}", f"invalid JSON: {exc}")
            continue
        if "version" in record or "updated_at" in record:
            checker.fail(f"line {line_no}", "version/updated_at are output only")
        checker.check_record(line_no, record)
        records.append(record)
    if not (out_dir / README_NAME).is_file():
        checker.fail("file", f"{README_NAME} is missing")
    elif "fictional" not in (out_dir / README_NAME).read_text(encoding="utf-8").lower():
        checker.fail("file", f"{README_NAME} does not say the data is fictional")
    checker.check_set(records)

    print(f"{path}: {len(records)} records, {len({r.get('country') for r in records})} countries")
    for label, key in (
        ("kinds", "kind"),
        ("status", "status"),
        ("designation types", "type"),
        ("instruments", "instrument"),
        ("name scripts (records)", "script"),
        ("phones by format", "phone_format"),
        ("phones by kind", "phone_kind"),
        ("countries by M49 region", "subregion"),
        ("other", "misc"),
    ):
        tally = checker.tallies[key]
        print(f"  {label}:")
        for item, count in sorted(tally.items(), key=lambda kv: (-kv[1], kv[0])):
            print(f"    {count:4d}  {item}")
    if checker.errors:
        print(f"FAILED: {len(checker.errors)} problem(s)", file=sys.stderr)
        for error in checker.errors[:200]:
            print(f"  - {error}", file=sys.stderr)
        return 1
    print("OK: all checks passed")
    return 0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line interface."""
    parser = argparse.ArgumentParser(
        description="Write (or check) the fictional DEMO data set of the CNA Directory: "
        f"{NDJSON_NAME} (interchange format v1, one record a line) and {README_NAME}.",
    )
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=DEFAULT_OUT,
        help="output folder (default: seed_data/demo next to this script)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write: re-read the NDJSON, verify every rule, print a summary, "
        "exit 1 on any failure",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    args = parse_args(argv)
    if args.check:
        return run_check(args.out_dir)
    records = write_outputs(args.out_dir)
    countries = len({r["country"] for r in records})
    print(f"wrote {len(records)} records for {countries} countries to {args.out_dir / NDJSON_NAME}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
