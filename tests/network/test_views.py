"""The network pages: the case page's section, the map at a date with its table and counts, two dates compared
with the changes listed, adding contacts and observations (htmx and without), editing a contact under its
version, bad input as a clear message in the user's language, and a constant number of queries."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.network.helpers import NOTE, add, ago, fresh, observe
from utvei.network.models import Contact, Observation

HX = {"HTTP_HX_REQUEST": "true"}
SVG = "{http://www.w3.org/2000/svg}"


def url(case, suffix=""):
    return f"/cases/{case.public_id}/network/{suffix}"


def svgs(html: str) -> list[ET.Element]:
    """The inline SVGs of a page, parsed as XML (so they are well-formed)."""
    out = []
    for part in html.split("<svg ")[1:]:
        out.append(ET.fromstring("<svg " + part.split("</svg>")[0] + "</svg>"))
    return out


def tie_keys(svg: ET.Element) -> set[str]:
    return {g.get("data-key") for g in svg.iter(f"{SVG}g") if g.get("data-key")}


@pytest.fixture
def story(nw):
    """A peer in the milieu fading to ended, a mentor growing closer, a mother from ambivalent to supportive."""
    w, case = nw.world, nw.case
    peer = add(w, case, label="P.", relation="milieu_peer", on=300, valence="risk", closeness=3)
    observe(w, peer, on=150, ended=True)
    mother = add(w, case, label="Mor", relation="parent", on=300, valence="ambivalent", closeness=2, note=NOTE)
    observe(w, mother, on=60, valence="supportive", closeness=3)
    mentor = add(w, case, label="Mentor", relation="mentor", on=200, valence="supportive", closeness=1)
    observe(w, mentor, on=30, closeness=3, valence="supportive")
    return {"peer": peer, "mother": mother, "mentor": mentor}


# ---- The case page -------------------------------------------------------------------------------------


def test_the_case_page_has_a_network_section_with_todays_counts(nw, story, browse):
    body = browse("ola").get(f"/cases/{nw.case.public_id}/").content.decode()
    section = body.split('id="network"')[1].split("</section>")[0]
    assert "Open the network map" in section and "Add a contact" in section and "Compare two dates" in section
    assert 'data-count="supportive">2<' in section and 'data-count="risk">0<' in section
    assert "not a score" in section
    mona = browse("mona").get(f"/cases/{nw.case.public_id}/").content.decode().split('id="network"')[1]
    assert "Add a contact" not in mona.split("</section>")[0]


# ---- The map -------------------------------------------------------------------------------------------


def test_the_map_shows_the_svg_beside_a_table_and_the_counts(nw, story, browse):
    r = browse("kari").get(url(nw.case))
    body = r.content.decode()
    assert r.status_code == 200
    (svg,) = svgs(body)
    assert svg.get("role") == "img" and svg.get("aria-labelledby")
    keys = tie_keys(svg)
    assert str(story["mother"].public_id) in keys and str(story["mentor"].public_id) in keys
    assert str(story["peer"].public_id) not in keys  # ended
    assert {"org:kommune", "org:nav"} <= keys
    table = body.split('id="ties"')[1].split("</table>")[0]
    row = table.split(f'data-key="{story["mother"].public_id}"')[1].split("</tr>")[0]
    assert "Mor" in row and "Parent" in row and "Informal" in row and "Supportive" in row and "Close" in row
    assert "Not observed: on the team" in table
    assert 'data-count="total"' in body and "Ties ended by this date" in body
    assert NOTE not in body  # notes are on the contact's page


def test_changing_the_date_changes_the_map(nw, story, browse):
    client = browse("kari")
    body = client.get(url(nw.case, f"?on={ago(200).isoformat()}")).content.decode()
    (svg,) = svgs(body)
    keys = tie_keys(svg)
    assert str(story["peer"].public_id) in keys and str(story["mentor"].public_id) in keys
    mother = next(g for g in svg.iter(f"{SVG}g") if g.get("data-key") == str(story["mother"].public_id))
    assert mother.get("data-valence") == "ambivalent" and mother.get("data-closeness") == "2"
    assert f'value="{ago(200).isoformat()}"' in body  # the chosen date stays in the date field
    early = client.get(url(nw.case, f"?on={ago(400).isoformat()}")).content.decode()
    (svg,) = svgs(early)
    assert not {k for k in tie_keys(svg) if not k.startswith("org:")}


@pytest.mark.parametrize("query", ["?on=2025-02-30", "?on=yesterday", "?on=0001-01-01", "?on=9999-12-31", "?on=%00"])
def test_a_bad_date_is_a_clear_message_in_the_users_language(nw, story, browse, client_for, query):
    r = browse("kari").get(url(nw.case, query))
    body = r.content.decode()
    assert r.status_code == 400 and "error-summary" in body and 'href="#id_on"' in body
    assert "<svg" not in body
    nb = client_for("kari").get(url(nw.case, query), HTTP_ACCEPT_LANGUAGE="nb")
    assert nb.status_code == 400 and "Noe må rettes opp" in nb.content.decode()


def test_the_page_is_in_bokmal_by_default(nw, story, client_for):
    body = client_for("kari").get(url(nw.case)).content.decode()
    assert "Nettverk" in body and "Støttende" in body and "Vis kartet" in body
    svg = body.split("<svg ")[1].split("</svg>")[0]  # the drawing too: its legend, rings and words
    for word in ("støttende", "risiko", "uformell relasjon", "formell relasjon", "indre ring: nærmest", "nær"):
        assert word in svg, word


# ---- Comparing two dates -------------------------------------------------------------------------------


def test_compare_shows_two_maps_and_lists_the_changes(nw, story, browse):
    body = browse("kari").get(url(nw.case, f"compare/?from={ago(180).isoformat()}&to={ago(10).isoformat()}"))
    assert body.status_code == 200
    html = body.content.decode()
    before, after = svgs(html)
    assert before.get("aria-labelledby") != after.get("aria-labelledby")  # unique ids on one page
    assert str(story["peer"].public_id) in tie_keys(before) and str(story["peer"].public_id) not in tie_keys(after)
    changes = html.split('id="changes"')[1].split("</section>")[0]
    assert 'data-change="ended"' in changes and "Ended tie" in changes and "P." in changes
    assert 'data-change="valence"' in changes and "from ambivalent to supportive" in changes
    assert 'data-change="closeness"' in changes and "from distant to close" in changes
    assert 'data-change="new"' not in changes  # the mentor was there already on the first date
    assert html.count("<table") == 2


def test_compare_defaults_to_a_year_and_refuses_dates_in_the_wrong_order(nw, story, browse):
    client = browse("kari")
    default = client.get(url(nw.case, "compare/")).content.decode()
    assert len(svgs(default)) == 2 and 'data-change="new"' in default
    wrong = client.get(url(nw.case, f"compare/?from={ago(10).isoformat()}&to={ago(100).isoformat()}"))
    assert wrong.status_code == 400 and "on or after the first" in wrong.content.decode()
    assert client.get(url(nw.case, "compare/?from=x&to=2025-13-01")).status_code == 400


# ---- Contacts ------------------------------------------------------------------------------------------


def test_a_contact_is_added_on_the_web_with_its_first_observation(nw, browse):
    client = browse("ola")
    form = client.get(url(nw.case, "contacts/new/")).content.decode()
    assert "<fieldset" in form and "<legend" in form and 'for="id_label"' in form
    assert "Testby politidistrikt" in form  # team organisations are offered
    assert 'value="police"' not in form  # no compartment the writer's organisation cannot read
    data = {
        "label": "Trener",
        "relation": "coach",
        "formal": "informal",
        "organisation": "",
        "classification": "team",
        "observed_on": ago(3).isoformat(),
        "valence": "supportive",
        "closeness": "2",
        "frequency": "weekly",
        "note": "Bokseklubben",
    }
    r = client.post(url(nw.case, "contacts/new/"), data)
    assert r.status_code == 302, r.content.decode()[:2000]
    contact = Contact.objects.get(case=nw.case)
    assert r["Location"] == url(nw.case, f"contacts/{contact.public_id}/")
    assert (contact.label, contact.relation, contact.formal, contact.author_org.slug) == (
        "Trener",
        "coach",
        False,
        "kommune",
    )
    obs = contact.observations.get()
    assert (obs.valence, obs.closeness, obs.frequency, obs.note) == ("supportive", 2, "weekly", "Bokseklubben")


@pytest.mark.parametrize(
    "change,field,message",
    [
        ({"label": "12345678901"}, "id_label", "identity number"),
        ({"label": "123456 78901"}, "id_label", "identity number"),
        ({"label": "Mor 12.03.1970"}, "id_label", "date of birth"),
        ({"label": ""}, "id_label", "required"),
        ({"observed_on": "2099-01-01"}, "id_observed_on", "future"),
        ({"observed_on": "31/31/2020"}, "id_observed_on", "YYYY-MM-DD"),
        ({"closeness": "7"}, "id_closeness_0", "valid choice"),
        ({"relation": "enemy"}, "id_relation", "valid choice"),
        ({"organisation": "skole"}, "id_organisation", "valid choice"),
    ],
)
def test_a_bad_contact_form_shows_an_error_summary(nw, browse, change, field, message):
    data = {
        "label": "Mor",
        "relation": "parent",
        "formal": "informal",
        "classification": "team",
        "observed_on": ago(3).isoformat(),
        "valence": "supportive",
        "closeness": "2",
        **change,
    }
    r = browse("kari").post(url(nw.case, "contacts/new/"), data)
    body = r.content.decode()
    assert r.status_code == 400 and "error-summary" in body and f'href="#{field}"' in body
    assert message in body
    assert not Contact.objects.filter(case=nw.case).exists()


def test_an_identifying_label_is_named_together_with_the_other_problems(nw, browse):
    data = {"label": "Ola 01020312345", "formal": "informal", "classification": "team", "observed_on": ""}
    body = browse("kari").post(url(nw.case, "contacts/new/"), data).content.decode()
    summary = body.split('<div class="error-summary"')[1].split("</ul>")[0]
    for field in ("id_label", "id_relation", "id_observed_on", "id_closeness_0"):
        assert f'href="#{field}"' in summary
    assert "identity number" in summary
    assert not Contact.objects.filter(case=nw.case).exists()


def test_the_contact_page_shows_the_history_and_records_an_observation_with_htmx(nw, story, browse):
    mother = story["mother"]
    client = browse("kari")
    page = client.get(url(nw.case, f"contacts/{mother.public_id}/")).content.decode()
    assert NOTE in page and "Record a new observation" in page and "Change the contact" in page
    assert 'name="observation-valence" value="supportive"' in page and "checked" in page  # the latest is preset
    data = {
        "observation-observed_on": ago(1).isoformat(),
        "observation-valence": "supportive",
        "observation-closeness": "2",
        "observation-frequency": "weekly",
        "observation-note": "Flyttet hjem igjen",
        "observation-classification": "team",
    }
    r = client.post(url(nw.case, f"contacts/{mother.public_id}/observations/"), data, **HX)
    body = r.content.decode()
    assert r.status_code == 200 and body.startswith('<div id="contact-body">')
    assert "The observation is recorded." in body and "Flyttet hjem igjen" in body
    assert Observation.objects.filter(contact=mother).count() == 3


def test_ending_a_tie_on_the_page_and_the_map_follows(nw, story, browse):
    mentor = story["mentor"]
    client = browse("ola")
    data = {
        "observation-observed_on": ago(2).isoformat(),
        "observation-ended": "on",
        "observation-valence": "supportive",
        "observation-closeness": "3",
        "observation-classification": "team",
    }
    r = client.post(url(nw.case, f"contacts/{mentor.public_id}/observations/"), data)
    assert r.status_code == 302
    (svg,) = svgs(client.get(url(nw.case)).content.decode())
    assert str(mentor.public_id) not in tie_keys(svg)
    bad = client.post(
        url(nw.case, f"contacts/{mentor.public_id}/observations/"),
        {"observation-observed_on": "tomorrow", "observation-classification": "team"},
        **HX,
    )
    assert bad.status_code == 400 and "error-summary" in bad.content.decode()


def test_a_stale_edit_is_a_conflict_that_keeps_what_was_typed(nw, story, browse):
    from utvei.network import services

    mother = story["mother"]
    services.contact_update(actor=nw.m["ola"], contact=fresh(mother), expected_version=1, label="Mamma")
    data = {
        "contact-label": "Moren",
        "contact-relation": "parent",
        "contact-formal": "informal",
        "contact-organisation": "",
        "contact-classification": "team",
        "contact-version": "1",
    }
    r = browse("kari").post(url(nw.case, f"contacts/{mother.public_id}/edit/"), data, **HX)
    body = r.content.decode()
    assert r.status_code == 409 and "Someone else saved this contact" in body
    assert 'value="Moren"' in body and 'name="contact-version" value="2"' in body
    assert fresh(mother).label == "Mamma"
    data["contact-version"] = "2"
    assert browse("kari").post(url(nw.case, f"contacts/{mother.public_id}/edit/"), data).status_code == 302
    assert fresh(mother).label == "Moren"
    assert "Saved versions" in browse("kari").get(url(nw.case, f"contacts/{mother.public_id}/")).content.decode()


def test_another_organisation_observes_but_does_not_edit(nw, story, browse):
    page = browse("nils").get(url(nw.case, f"contacts/{story['mother'].public_id}/")).content.decode()
    assert "Record a new observation" in page and "Change the contact" not in page
    data = {"contact-label": "X", "contact-relation": "parent", "contact-formal": "informal", "contact-version": "1"}
    assert browse("nils").post(url(nw.case, f"contacts/{story['mother'].public_id}/edit/"), data).status_code == 403


def test_unknown_contacts_and_cases_are_404(nw, story, browse):
    client = browse("kari")
    zero = "00000000-0000-0000-0000-000000000000"
    assert client.get(url(nw.case, f"contacts/{zero}/")).status_code == 404
    assert client.get(f"/cases/{zero}/network/").status_code == 404
    assert client.post(url(nw.case, f"contacts/{zero}/observations/"), {}).status_code == 404
    assert client.get(url(nw.case, "contacts/not-a-uuid/")).status_code == 404


# ---- Queries -------------------------------------------------------------------------------------------


def test_the_pages_make_a_constant_number_of_queries(nw, browse):
    world = nw.world

    def case_with(n: int):
        case = world.open_case(name=f"Person med {n} kontakter")
        for username in ("ola", "nils"):
            world.add(case, username)
        contact = None
        for i in range(n):
            contact = add(world, case, label=f"K{i}", on=300, valence="risk")
            for d in (200, 100, 20):
                observe(world, contact, on=d, valence="supportive", closeness=1 + d % 3, note="Notat")
        return case, contact

    client = browse("ola")

    def count(path: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(path).status_code == 200
        return len(ctx.captured_queries)

    small, small_contact = case_with(1)
    big, big_contact = case_with(6)
    for suffix in ("", f"?on={ago(150).isoformat()}", "compare/"):
        assert count(url(small, suffix)) == count(url(big, suffix)), suffix
    assert count(f"/cases/{small.public_id}/") == count(f"/cases/{big.public_id}/")
    assert count(url(small, f"contacts/{small_contact.public_id}/")) == count(
        url(big, f"contacts/{big_contact.public_id}/")
    )


def test_the_map_is_drawn_the_same_for_the_same_data(nw, story, browse):
    first = browse("kari").get(url(nw.case, f"?on={ago(5).isoformat()}")).content.decode()
    again = browse("kari").get(url(nw.case, f"?on={ago(5).isoformat()}")).content.decode()
    assert first.split("<svg ")[1].split("</svg>")[0] == again.split("<svg ")[1].split("</svg>")[0]
    assert dt.date.fromisoformat(ago(5).isoformat())
