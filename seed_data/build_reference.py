"""Regenerate the generated reference data of the CNA Directory.

Writes, under ``seed_data/reference/`` (or ``--out-dir``):

* ``countries.json`` -- one object per current ISO 3166-1 country (pycountry),
  sorted by alpha-3, with the UN M49 region and subregion (CLDR territory
  containment), CLDR country names in many languages, the CLDR official
  languages (BCP 47) and the IANA time zones (tzdata's ``zone.tab``).
* ``languages.json`` -- one object per language that is official in any
  country, plus the six UN official languages and ``zh-Hant``, with CLDR
  names in the six UN languages and the language's own name (autonym).

``designation_types.json`` and ``instruments.json`` in the same folder are
hand-written legal reference data and are not touched by this script.

Sources are the installed pycountry, Babel (CLDR) and tzdata packages only, so
the output is a pure function of their versions. Babel does not ship CLDR's
``territoryContainment`` data, so the M49 part of it is embedded below
(``M49_CONTAINMENT``); ``--check-containment`` compares that table with a
CLDR JSON ``supplemental/territoryContainment.json`` file (npm ``cldr-core``).

Usage::

    .venv/bin/python seed_data/build_reference.py           # write the files
    .venv/bin/python seed_data/build_reference.py --check   # exit 1 if stale
"""

from __future__ import annotations

import argparse
import gettext
import importlib.metadata
import importlib.resources
import json
import sys
import zoneinfo
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pycountry
from babel import Locale, localedata
from babel.languages import get_official_languages

DEFAULT_OUT_DIR = Path(__file__).resolve().parent / "reference"

#: The six official languages of the United Nations (BCP 47).
UN_LANGUAGES: tuple[str, ...] = ("ar", "zh", "en", "fr", "ru", "es")

#: Languages in which country names are given on top of the UN six and of
#: every language that is official (de jure or de facto) in any country.
EXTRA_NAME_LANGUAGES: tuple[str, ...] = (
    "zh-Hant",
    "ja",
    "de",
    "ko",
    "it",
    "pt",
    "hi",
    "tr",
    "fa",
    "id",
)


def codes(text: str) -> tuple[str, ...]:
    """Split a space-separated list of codes."""
    return tuple(text.split())


#: Continents (UN M49 regions) and the M49 subregions they contain, then each
#: subregion and the ISO 3166-1 alpha-2 codes it contains. Transcribed from
#: CLDR ``supplemental/territoryContainment`` (the primary, non-grouping,
#: non-deprecated containment; CLDR's non-M49 "QO" Outlying Oceania, which
#: holds AQ, is left out on purpose, so AQ gets no region). Checked equal to
#: CLDR 48.2 (npm cldr-core) and to ICU 77.1's Region data (CLDR 47).
M49_CONTAINMENT: dict[str, tuple[str, ...]] = {
    # continents
    "002": codes("011 014 015 017 018"),  # Africa
    "009": codes("053 054 057 061"),  # Oceania
    "019": codes("005 013 021 029"),  # Americas
    "142": codes("030 034 035 143 145"),  # Asia
    "150": codes("039 151 154 155"),  # Europe
    # subregions
    "005": codes("AR BO BR BV CL CO EC FK GF GS GY PE PY SR UY VE"),
    "011": codes("BF BJ CI CV GH GM GN GW LR ML MR NE NG SH SL SN TG"),
    "013": codes("BZ CR GT HN MX NI PA SV"),
    "014": codes(
        "BI DJ ER ET IO KE KM MG MU MW MZ RE RW SC SO SS TF TZ UG YT ZM ZW",
    ),
    "015": codes("DZ EA EG EH IC LY MA SD TN"),
    "017": codes("AO CD CF CG CM GA GQ ST TD"),
    "018": codes("BW LS NA SZ ZA"),
    "021": codes("BM CA GL PM US"),
    "029": codes(
        "AG AI AW BB BL BQ BS CU CW DM DO GD GP HT JM KN KY LC MF MQ MS PR SX TC TT VC VG VI",
    ),
    "030": codes("CN HK JP KP KR MN MO TW"),
    "034": codes("AF BD BT IN IR LK MV NP PK"),
    "035": codes("BN ID KH LA MM MY PH SG TH TL VN"),
    "039": codes("AD AL BA ES GI GR HR IT ME MK MT PT RS SI SM VA XK"),
    "053": codes("AU CC CX HM NF NZ"),
    "054": codes("FJ NC PG SB VU"),
    "057": codes("FM GU KI MH MP NR PW UM"),
    "061": codes("AS CK NU PF PN TK TO TV WF WS"),
    "143": codes("KG KZ TJ TM UZ"),
    "145": codes("AE AM AZ BH CY GE IL IQ JO KW LB OM PS QA SA SY TR YE"),
    "151": codes("BG BY CZ HU MD PL RO RU SK UA"),
    "154": codes("AX CQ DK EE FI FO GB GG IE IM IS JE LT LV NO SE SJ"),
    "155": codes("AT BE CH DE FR LI LU MC NL"),
}
#: CLDR language names known to be wrong, left out: (language, in language).
#: CLDR's Arabic name for Gilbertese (gil) reads "language of the people of
#: Gibraltar".
BAD_CLDR_LANGUAGE_NAMES: frozenset[tuple[str, str]] = frozenset({("gil", "ar")})

#: pycountry (iso-codes) gettext locale for each UN language, where it differs.
ISO_CODES_LOCALES: dict[str, str] = {"zh": "zh_CN"}

CONTINENTS: tuple[str, ...] = ("002", "009", "019", "142", "150")

#: ISO 3166-1 countries that CLDR puts in no M49 continent.
NO_M49_REGION: frozenset[str] = frozenset({"AQ"})


def bcp47(code: str) -> str:
    """Turn a Babel/CLDR locale id (``zh_Hant``) into a BCP 47 tag (``zh-Hant``)."""
    return code.replace("_", "-")


def babel_id(tag: str) -> str:
    """Turn a BCP 47 tag (``zh-Hant``) into a Babel locale id (``zh_Hant``)."""
    return tag.replace("-", "_")


def m49_parents() -> dict[str, tuple[str, str]]:
    """Map each alpha-2 code to its (continent, subregion) M49 codes."""
    parents: dict[str, tuple[str, str]] = {}
    for continent in CONTINENTS:
        for subregion in M49_CONTAINMENT[continent]:
            for alpha2 in M49_CONTAINMENT[subregion]:
                if alpha2 in parents:
                    raise AssertionError(f"{alpha2} is in two M49 subregions")
                parents[alpha2] = (continent, subregion)
    return parents


def official_languages(alpha2: str) -> list[str]:
    """CLDR official and de facto official languages of a country, BCP 47."""
    return [bcp47(code) for code in get_official_languages(alpha2, de_facto=True)]


def load_locales(tags: Iterable[str]) -> tuple[dict[str, Locale], list[str]]:
    """Load the Babel locales for ``tags``; also return the tags CLDR lacks."""
    locales: dict[str, Locale] = {}
    missing: list[str] = []
    for tag in sorted(set(tags)):
        if localedata.exists(babel_id(tag)):
            locales[tag] = Locale.parse(babel_id(tag))
        else:
            missing.append(tag)
    return locales, missing


def zone_tab() -> dict[str, list[str]]:
    """Country code -> sorted IANA zones, from the tzdata package's zone.tab."""
    text = (
        importlib.resources.files("tzdata")
        .joinpath("zoneinfo", "zone.tab")
        .read_text(encoding="utf-8")
    )
    known = zoneinfo.available_timezones()
    zones: dict[str, set[str]] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        for alpha2 in fields[0].split(","):
            if fields[2] in known:
                zones.setdefault(alpha2, set()).add(fields[2])
    return {alpha2: sorted(names) for alpha2, names in zones.items()}


def language_name(tag: str, locale: Locale) -> str | None:
    """The CLDR name of language ``tag`` in ``locale``, or None if CLDR lacks it.

    A tag with a script or region CLDR has no whole name for is named the way
    Babel's ``Locale.get_display_name`` does it: ``language (script)``.
    """
    code = babel_id(tag)
    name: str | None = locale.languages.get(code)
    if name:
        return name
    language, *subtags = code.split("_")
    base: str | None = locale.languages.get(language)
    if not base:
        return None
    details: list[str] = []
    for subtag in subtags:
        table = locale.scripts if len(subtag) == 4 else locale.territories
        detail = table.get(subtag)
        if not detail:
            return None
        details.append(detail)
    return f"{base} ({', '.join(details)})" if details else base


def iso639_name(tag: str, language: str) -> str | None:
    """Fallback name of ``tag`` in UN ``language`` from pycountry's ISO 639-3.

    English is the ISO 639-3 reference name; another language's name is used
    only where pycountry's iso-codes translation really translates it.
    """
    subtag = babel_id(tag).split("_")[0]
    field = "alpha_2" if len(subtag) == 2 else "alpha_3"
    record = pycountry.languages.get(**{field: subtag})
    if record is None:
        return None
    english: str = record.name
    if language == "en":
        return english
    translation = gettext.translation(
        "iso639-3",
        pycountry.LOCALES_DIR,
        languages=[ISO_CODES_LOCALES.get(language, language)],
        fallback=True,
    )
    name = translation.gettext(english)
    return name if name != english else None


def build_countries() -> tuple[list[dict[str, Any]], list[str]]:
    """Build countries.json; also return warnings about CLDR gaps."""
    countries = sorted(pycountry.countries, key=lambda c: c.alpha_3)
    officials = {c.alpha_2: official_languages(c.alpha_2) for c in countries}
    name_tags = set(UN_LANGUAGES) | set(EXTRA_NAME_LANGUAGES)
    for tags in officials.values():
        name_tags.update(tags)
    locales, no_locale = load_locales(name_tags)
    parents = m49_parents()
    zones = zone_tab()
    warnings = [f"no CLDR locale, no names in: {', '.join(no_locale)}"]

    records: list[dict[str, Any]] = []
    for country in countries:
        alpha2 = country.alpha_2
        names: dict[str, str] = {}
        for tag in sorted(locales):
            name = locales[tag].territories.get(alpha2)
            if name and name != alpha2:
                names[tag] = name
        for tag in UN_LANGUAGES:
            assert tag in names, f"{alpha2}: CLDR has no {tag} name"
        for tag in officials[alpha2]:
            if tag in locales:
                has_name = bool(locales[tag].territories.get(alpha2))
                assert (tag in names) == has_name, f"{alpha2}: {tag} name lost"
                if not has_name:
                    warnings.append(f"{alpha2}: CLDR locale {tag} has no name for it")
            else:
                warnings.append(f"{alpha2}: official language {tag} has no CLDR locale")
        region: str | None = None
        subregion: str | None = None
        if alpha2 in parents:
            region, subregion = parents[alpha2]
        else:
            assert alpha2 in NO_M49_REGION, f"{alpha2}: not in any M49 subregion"
        if alpha2 not in zones:
            warnings.append(f"{alpha2}: no time zone in zone.tab")
        records.append(
            {
                "alpha2": alpha2,
                "alpha3": country.alpha_3,
                "numeric": country.numeric,
                "region": region,
                "subregion": subregion,
                "names": names,
                "official_languages": officials[alpha2],
                "time_zones": zones.get(alpha2, []),
            }
        )
    return records, warnings


def build_languages(
    countries: Iterable[Mapping[str, Any]],
) -> tuple[list[dict[str, Any]], list[str]]:
    """Build languages.json from the countries' official languages."""
    codes = set(UN_LANGUAGES) | {"zh-Hant"}
    for country in countries:
        codes.update(country["official_languages"])
    un_locales, _ = load_locales(UN_LANGUAGES)
    own_locales, no_autonym = load_locales(codes)
    warnings = [f"no CLDR locale, no autonym for: {', '.join(no_autonym)}"]

    records: list[dict[str, Any]] = []
    for code in sorted(codes):
        names: dict[str, str] = {}
        for tag, locale in un_locales.items():
            known_bad = (code, tag) in BAD_CLDR_LANGUAGE_NAMES
            name = None if known_bad else language_name(code, locale)
            if not name:
                name = iso639_name(code, tag)
                gap = "known-bad" if known_bad else "no"
                source = f"ISO 639 (pycountry) fallback {name!r}" if name else "no fallback"
                warnings.append(f"language {code}: CLDR has {gap} {tag} name; {source}")
            if name:
                names[tag] = name
        if code in own_locales:
            autonym = language_name(code, own_locales[code])
            if autonym:
                names[code] = autonym
            else:
                warnings.append(f"language {code}: CLDR has no autonym")
        records.append({"code": code, "names": dict(sorted(names.items()))})
    return records, warnings


def dump(data: object) -> str:
    """Pretty, stable JSON text with a trailing newline."""
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def read_cldr_containment(path: Path) -> dict[str, tuple[str, ...]]:
    """Read the M49 part of a CLDR JSON territoryContainment.json file."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    table = raw["supplemental"]["territoryContainment"]
    result: dict[str, tuple[str, ...]] = {}
    for continent in table["001"]["_contains"]:
        subregions = sorted(c for c in table[continent]["_contains"] if c.isdigit())
        result[continent] = tuple(subregions)
        for subregion in subregions:
            result[subregion] = tuple(sorted(table[subregion]["_contains"]))
    return result


def check_containment(path: Path) -> int:
    """Compare M49_CONTAINMENT with a CLDR file; print differences."""
    cldr = read_cldr_containment(path)
    status = 0
    for code in sorted(set(cldr) | set(M49_CONTAINMENT)):
        if cldr.get(code) != M49_CONTAINMENT.get(code):
            print(f"{code}: embedded {M49_CONTAINMENT.get(code)} cldr {cldr.get(code)}")
            status = 1
    print("containment: " + ("DIFFERS" if status else "identical to " + str(path)))
    return status


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(
        description=(
            "Regenerate seed_data/reference/countries.json and languages.json "
            "from pycountry, Babel (CLDR) and tzdata."
        ),
    )
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=DEFAULT_OUT_DIR,
        help="folder to write to (default: reference/ next to this script)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if a file differs from what would be written",
    )
    parser.add_argument(
        "--check-containment",
        type=Path,
        metavar="TERRITORY_CONTAINMENT_JSON",
        help="compare the embedded M49 table with a CLDR JSON file and exit",
    )
    parser.add_argument("--quiet", action="store_true", help="do not print CLDR gap warnings")
    args = parser.parse_args(argv)

    if args.check_containment:
        return check_containment(args.check_containment)

    countries, warnings = build_countries()
    languages, language_warnings = build_languages(countries)
    outputs = {
        "countries.json": dump(countries),
        "languages.json": dump(languages),
    }
    if not args.quiet:
        for warning in warnings + language_warnings:
            print(f"warning: {warning}", file=sys.stderr)
    versions = ", ".join(
        f"{package} {importlib.metadata.version(package)}"
        for package in ("pycountry", "babel", "tzdata")
    )
    print(f"{versions}: {len(countries)} countries, {len(languages)} languages")

    stale = 0
    for filename, text in outputs.items():
        path = args.out_dir / filename
        if args.check:
            current = path.read_text(encoding="utf-8") if path.exists() else None
            if current != text:
                print(f"stale: {path}")
                stale = 1
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
            print(f"wrote {path} ({len(text.encode('utf-8'))} bytes)")
    return stale


if __name__ == "__main__":
    sys.exit(main())
