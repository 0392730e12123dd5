"""The demo story's referral and emergency steps (`do: referral`, `do: emergency` in tools/data/demo.yaml), told
through the sharing services (utvei.sharing.referrals.services and utvei.sharing.emergency.services).

Each step calls the services as a user would, then moves the timestamps they set to "now" to the story's date,
as the demo loader does for everything else. Content and audit events are untouched: the audit log keeps the
true time of loading.

    - do: referral
      at: 52                       # days ago it was sent
      by: koordinator              # optional: the sender (default: the owning organisation's coordinator)
      to: nav-fjordvik             # the receiving organisation
      categories: [identity, concern, plan]
      message: "…"                 # optional
      basis: consent               # optional: consent (default; the loader first records the person's consent
                                   # for `to`, unless `consent: false`) or legal_basis (legal_basis, justification)
      accept: {by: nav-koordinator, member: nav, at: 47, note: "…"}   # optional: accepted; or
      decline: {by: nav-koordinator, at: 47, note: "…"}               # optional: declined; neither: still waiting

    - do: emergency
      at: 4                        # days ago it was opened
      time: "21:40"                # optional: the local time it was opened (default: the story's clock)
      by: barnevern                # a coordinator or caseworker with no relation to the case
      reason: missing              # life_health | acute_violence | child_at_risk | missing | other
      text: "…"                    # what was happening (the DPO reads it)
      hours: 4                     # optional: the window (default and most: UTVEI_EMERGENCY_HOURS)
      ended: 2                     # optional: hours after opening the user ended it early
      review: {by: personvern, at: 3, decision: approved, note: "…"}  # optional; without it: pending review

The window of an emergency access always lies in the past, so the user no longer sees the case.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import CommandError
from django.db.models import F
from django.utils import timezone

from utvei.accounts.models import Notification, NotificationKind
from utvei.cases.models import Case, TeamMember
from utvei.sharing.emergency import services as emergency
from utvei.sharing.models import Disclosure, EmergencyAccess, Referral, ReferralBasis
from utvei.sharing.referrals import services as referrals


def referral_step(loader: Any, case: Case, step: dict[str, Any]) -> Referral:
    clock = loader.clock
    sent = clock.at(step["at"])
    sender = loader.m[step["by"]] if "by" in step else loader._manager(case, {})
    basis = step.get("basis", ReferralBasis.CONSENT)
    if basis == ReferralBasis.CONSENT and step.get("consent", True):
        # Consents are recorded per organisation: the person agrees that the receiving one may read too.
        loader._consent(case, sender, step["to"], at=sent)
    referral = referrals.referral_send(
        actor=sender,
        case=case,
        to_org_slug=step["to"],
        categories=step["categories"],
        basis=basis,
        legal_basis_key=step.get("legal_basis", ""),
        justification=step.get("justification", ""),
        message=step.get("message", ""),
    )
    Referral.objects.filter(pk=referral.pk).update(sent_at=sent)
    received = Notification.objects.filter(kind=NotificationKind.REFERRAL_RECEIVED, ref=referral.public_id)
    received.update(created_at=sent)
    answer = step.get("accept") or step.get("decline")
    if answer is None:
        return referral
    if answer["at"] > step["at"]:
        raise CommandError(f"the answer to a referral comes after it was sent ({step})")
    actor = loader.m[answer["by"]]
    if "accept" in step:
        referral = referrals.referral_accept(
            actor=actor, referral=referral, member_username=answer.get("member", ""), note=answer.get("note", "")
        )
    else:
        referral = referrals.referral_decline(actor=actor, referral=referral, note=answer["note"])
    decided = clock.at(answer["at"])
    Referral.objects.filter(pk=referral.pk).update(decided_at=decided)
    if referral.team_member_id is not None:
        TeamMember.objects.filter(pk=referral.team_member_id).update(started_at=decided)
    if referral.disclosure_id is not None and referral.decided_at is not None:
        # Under a legal basis: the disclosure recorded on acceptance keeps its duration, from the story's date.
        shift = decided - referral.decided_at
        Disclosure.objects.filter(pk=referral.disclosure_id).update(
            decided_at=F("decided_at") + shift, expires_at=F("expires_at") + shift
        )
    received.update(read_at=decided)  # the coordinator who answered followed the notification
    Notification.objects.filter(kind=NotificationKind.REFERRAL_DECIDED, ref=referral.public_id).update(
        created_at=decided
    )
    return referral


def _opened_at(loader: Any, step: dict[str, Any]) -> dt.datetime:
    stamp = loader.clock.at(step["at"])
    if "time" in step:
        value = step["time"]  # "21:40"; YAML 1.1 reads an unquoted 21:40 as minutes (1300)
        hour, minute = divmod(value, 60) if isinstance(value, int) else (int(x) for x in str(value).split(":"))
        day = timezone.localtime(stamp).date()
        stamp = timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))
    return stamp


def emergency_step(loader: Any, case: Case, step: dict[str, Any]) -> EmergencyAccess:
    actor = loader.m[step["by"]]
    hours = int(step.get("hours", emergency.max_hours()))
    opened = emergency.emergency_open(
        actor=actor,
        case_reference=case.reference,
        reason_code=step["reason"],
        reason_text=step["text"],
        hours=hours,
    )
    if opened.access is None or not opened.created:
        raise CommandError(f"{step['by']} can see case {case.reference} already: no emergency access is needed")
    access = opened.access
    started = _opened_at(loader, step)
    expires = started + dt.timedelta(hours=hours)
    if expires >= loader.clock.now:
        raise CommandError(f"the emergency access must have ended before today ({step})")
    fields: dict[str, Any] = {"started_at": started, "expires_at": expires}
    if "ended" in step:
        emergency.emergency_end(actor=actor, access=access)
        fields["ended_at"] = started + dt.timedelta(hours=float(step["ended"]))
    notified = Notification.objects.filter(kind=NotificationKind.EMERGENCY_ACCESS, ref=access.public_id)
    notified.update(created_at=started)
    review = step.get("review")
    if review is not None:
        if review["at"] > step["at"]:
            raise CommandError(f"an emergency access is reviewed after it was opened ({step})")
        access = emergency.emergency_review(
            actor=loader.m[review["by"]],
            access=EmergencyAccess.objects.get(pk=access.pk),
            decision=review["decision"],
            note=review.get("note", ""),
        )
        reviewed = max(loader.clock.at(review["at"]), expires)
        fields["reviewed_at"] = reviewed
        notified.update(read_at=reviewed)  # an old, reviewed use: the people told have seen it
    EmergencyAccess.objects.filter(pk=access.pk).update(**fields)
    return EmergencyAccess.objects.get(pk=access.pk)
