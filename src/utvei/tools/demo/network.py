"""The demo story's network step (`do: network` in tools/data/demo.yaml), told through the network services.

One step is what the team recorded about the person's network on one day. Each tie names a contact by a `key`
that is local to the story (never shown): the first time a key appears the contact is added with its first
observation (`label` and `relation` needed); later it gets a new observation, in which valence, closeness and
frequency carry over from the latest one unless given. `ended: true` ends the tie. Afterwards the timestamps the
services set to "now" are moved to the story's date, as the demo loader does for everything else; the audit log
keeps the true time.

    - do: network
      at: 300                       # days ago: the date observed and recorded
      by: koordinator               # optional: an account of the team (default the owner's coordinator)
      ties:
        - {key: mor, label: Mor, relation: parent, valence: ambivalent, closeness: 3, frequency: daily}
        - {key: jk, label: J.K., relation: milieu_peer, valence: risk, closeness: 3, class: team, note: "…"}
        - {key: nav, label: NAV-veileder, relation: professional, org: nav-fjordvik, valence: supportive,
           closeness: 2}            # a contact at a team organisation: it stands for that organisation
        - {key: jk, ended: true, note: "…"}   # a later step: the tie has ended
"""

from __future__ import annotations

from typing import Any

from utvei.accounts.models import Organisation
from utvei.cases.models import Case
from utvei.network import services
from utvei.network.models import Contact, ContactRevision, Observation


def _contacts(loader: Any) -> dict[tuple[int, str], Contact]:
    """The story's contacts so far, by (case, key): kept on the loader, since labels are encrypted."""
    found: dict[tuple[int, str], Contact] = loader.__dict__.setdefault("network_contacts", {})
    return found


def network_step(loader: Any, case: Case, step: dict[str, Any]) -> list[Any]:
    """Record the step's ties; returns the contacts and observations written."""
    clock = loader.clock
    at = clock.at(step["at"])
    day = clock.date(-int(step["at"]))
    actor = loader.m[step["by"]] if "by" in step else loader._manager(case, {})
    known = _contacts(loader)
    written: list[Any] = []
    for tie in step.get("ties", []):
        key = (case.pk, str(tie["key"]))
        contact = known.get(key)
        if contact is None:
            org = Organisation.objects.get(slug=tie["org"]) if "org" in tie else None
            contact = services.contact_create(
                actor=actor,
                case=case,
                relation=tie["relation"],
                label=tie["label"],
                formal=tie.get("formal"),
                organisation=org,
                classification=tie.get("class", "team"),
                observed_on=day,
                valence=tie["valence"],
                closeness=int(tie["closeness"]),
                frequency=tie.get("frequency", ""),
                note=tie.get("note", ""),
            )
            known[key] = contact
            Contact.objects.filter(pk=contact.pk).update(created_at=at, updated_at=at)
            ContactRevision.objects.filter(contact=contact).update(saved_at=at)
            Observation.objects.filter(contact=contact).update(created_at=at)
            written.append(contact)
            continue
        contact = Contact.objects.select_related("case", "author_org").get(pk=contact.pk)
        last = contact.observations.order_by("-observed_on", "-created_at", "-pk").first()
        observation = services.observation_add(
            actor=actor,
            contact=contact,
            observed_on=day,
            valence=tie.get("valence", last.valence if last else None),
            closeness=int(tie.get("closeness", last.closeness if last else 1)),
            frequency=tie.get("frequency", last.frequency if last else ""),
            ended=bool(tie.get("ended", False)),
            note=tie.get("note", ""),
            classification=tie.get("class"),
        )
        Observation.objects.filter(pk=observation.pk).update(created_at=at)
        written.append(observation)
    return written
