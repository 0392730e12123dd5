"""How the language is chosen (README, «Languages»): the button's choice, else the browser's preference where it
names Norwegian (as nb, no or nn) or English, else bokmål."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.parametrize(
    "header,lang",
    [
        ("", "nb"),
        ("en-GB,en;q=0.9", "en"),
        ("nb-NO,nb;q=0.9,en;q=0.5", "nb"),
        ("no,en;q=0.8", "nb"),  # Norwegian as `no`: bokmål, not the next on the list
        ("nn-NO,en;q=0.5", "nb"),
        ("de-DE,fr;q=0.9", "nb"),  # neither: bokmål
        ("sv,en;q=0.7", "en"),
    ],
)
def test_the_browsers_preference_then_bokmal(db, header, lang):
    response = Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE=header)
    assert f'<html lang="{lang}"' in response.content.decode()


def test_the_buttons_choice_wins_over_the_browser(db):
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert '<html lang="en"' in client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="nb").content.decode()
