"""Dependencies shared by routers: the database session, the caller's view, languages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Query
from sqlmodel import Session

from app.core.i18n import preferences
from app.db.engine import get_engine


def get_session() -> Iterator[Session]:
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session


def get_languages(
    lang: Annotated[str | None, Query(max_length=35, pattern=r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$",
                                      description="Language of names (BCP 47); "
                                                  "overrides Accept-Language")] = None,
    accept_language: Annotated[str | None, Header(max_length=500)] = None,
) -> list[str]:
    return preferences(lang, accept_language)


SessionDep = Annotated[Session, Depends(get_session)]
LanguagesDep = Annotated[list[str], Depends(get_languages)]
