"""The access table: who may see which case and which timeline entries, stated as data.

This is a second, declarative statement of the rules in DESIGN.md §3–4, written independently of
utvei.access.policy, so that a change to the policy that breaks a rule fails here. The same rows run against
the policy, the web pages and the API.
"""

from __future__ import annotations

from dataclasses import dataclass

from utvei.core.vocabulary import Classification as C

# The case team in the scenario: username -> role in the case.
TEAM = {
    "kari": "lead",
    "ola": "caseworker",
    "per": "caseworker",
    "siri": "caseworker",
    "hanne": "caseworker",
    "mona": "mentor",
}

# Viewers: username -> (relation to the case, organisation kind, can read case content at all, full reader)
VIEWERS: dict[str, tuple[str, str, bool, bool]] = {
    "kari": ("team", "municipality", True, True),
    "ola": ("team", "municipality", True, True),
    "per": ("team", "police", True, True),
    "siri": ("team", "school", True, True),
    "hanne": ("team", "mental_health", True, True),
    "mona": ("team", "ngo", True, False),  # mentor: goals, appointments, own notes
    "kjell": ("owner_coordinator", "municipality", True, True),
    "pia": ("none", "police", True, True),  # police coordinator, not on the team
    "atle": ("none", "municipality", True, True),  # another municipality
    "rolf": ("none", "school", False, False),  # reporter
    "dina": ("none", "municipality", False, False),  # dpo
    "anna": ("none", "municipality", False, False),  # analyst
    "adam": ("none", "municipality", False, False),  # org_admin
}

# Entries in the scenario: (author, classification). Authors write only compartments they may read.
ENTRIES: list[tuple[str, str]] = [
    ("kari", C.TEAM),
    ("kari", C.OWN_ORG),
    ("kari", C.MENTOR),
    ("kari", C.PARTICIPANT),
    ("ola", C.OWN_ORG),
    ("per", C.TEAM),
    ("per", C.OWN_ORG),
    ("per", C.POLICE),
    ("hanne", C.TEAM),
    ("hanne", C.HEALTH),
    ("hanne", C.OWN_ORG),
    ("siri", C.TEAM),
    ("siri", C.MENTOR),
    ("mona", C.MENTOR),
    ("mona", C.OWN_ORG),
    ("mona", C.PARTICIPANT),
]

ORG_OF = {
    "kari": "kommune",
    "ola": "kommune",
    "kjell": "kommune",
    "per": "politi",
    "pia": "politi",
    "siri": "skole",
    "rolf": "skole",
    "hanne": "helse",
    "mona": "ngo",
    "atle": "annen",
    "dina": "kommune",
    "anna": "kommune",
    "adam": "kommune",
}


def sees_case(viewer: str) -> bool:
    relation, _kind, content, _full = VIEWERS[viewer]
    return content and relation in {"team", "owner_coordinator"}


@dataclass(frozen=True)
class Expect:
    readable: bool
    marker: bool  # exists-but-restricted marker shown


def expect(viewer: str, author: str, classification: str) -> Expect:
    """What `viewer` gets for an entry written by `author` with `classification`, given they see the case."""
    _relation, kind, _content, full = VIEWERS[viewer]
    if viewer == author:
        return Expect(True, False)
    same_org = ORG_OF[viewer] == ORG_OF[author]
    if not full:
        ok = classification in {C.MENTOR, C.PARTICIPANT}
        return Expect(ok, False)  # mentors get no markers for the rest of the file
    ok = {
        C.TEAM: True,
        C.MENTOR: True,
        C.PARTICIPANT: True,
        C.OWN_ORG: same_org,
        C.POLICE: kind in {"police", "security_service"},
        C.HEALTH: kind in {"health", "mental_health"},
    }[classification]
    return Expect(ok, not ok)


def rows() -> list[tuple[str, str, str]]:
    return [(v, a, c) for v in VIEWERS for a, c in ENTRIES]


# ---- Protected identities (issue 14, deliverable 5) ------------------------------------------------------
#
# The scenario's person under a protected identity, set by the case lead (kari), who names ola as a reader. arne,
# another municipality's caseworker, opens the case with emergency access. Who sees who the person is:

IDENTITY_NAMED = ("ola",)
EMERGENCY_VIEWER = "arne"
IDENTITY_VIEWERS = [*VIEWERS, EMERGENCY_VIEWER]


def opens_case(viewer: str) -> bool:
    """Does the viewer reach the case at all (the scenario's relations, and arne's emergency access)?"""
    return viewer == EMERGENCY_VIEWER or sees_case(viewer)


def reads_identity(viewer: str, *, protected: bool) -> bool:
    """Does the viewer see the person's name on the case page and in the API's case header? Without protection,
    everyone who opens the case (the scenario's consents cover identity for every team organisation; emergency access
    reads the header). Under protection, the lead and the named readers only — never emergency access."""
    if not opens_case(viewer):
        return False
    if not protected:
        return True
    return TEAM.get(viewer) == "lead" or viewer in IDENTITY_NAMED


def finds_by_name(viewer: str, *, protected: bool) -> bool:
    """Does a search by the person's name find the case? Exactly where the identity may be read; an emergency
    access is not a list relation for search (it is found by reference)."""
    return reads_identity(viewer, protected=protected)


# Lists, exports (CSV, JSON), prints (plan, minutes) and e-mails carry the name under a protected identity for
# nobody: references only.
NAME_IN_COPIES = False


# The person's own page (docs/participant.md): the person of the scenario's case, and the person of another case.
# Not a membership: every staff page and endpoint is 404 for them; on /me/ they read by classification alone.
PARTICIPANTS = {"paula": "own", "bert": "other"}


def expect_participant(classification: str, *, own_case: bool) -> bool:
    """Does the person read an item of this classification (never a marker)? Only `participant`, only their own."""
    return own_case and classification == C.PARTICIPANT
