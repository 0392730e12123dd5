"""policy.case_accesses: the same answers as case_access for many cases at once, in a fixed number of queries."""

from __future__ import annotations

from django.utils import timezone

from utvei.access import policy
from utvei.cases.models import Case, TeamMember, TeamRole
from utvei.sharing.emergency import services as emergency


def _cases(world):
    """Cases with every relation someone in the test world can have to them."""
    team = world.open_case(name="Team Person")
    world.add(team, "ola")
    world.add(team, "mona", role=TeamRole.MENTOR)
    referral = world.open_case(name="Referral Person")
    TeamMember.objects.create(
        case=referral,
        user=world.m["nils"].user,
        organisation=world.orgs["nav"],
        role=TeamRole.REFERRAL,
        added_by=world.m["kari"].user,
    )
    ended = world.open_case(name="Ended Person")
    member = world.add(ended, "ola")
    TeamMember.objects.filter(pk=member.pk).update(ended_at=timezone.now())
    other = world.open_case(name="Other Person", by="atle")
    emergency.emergency_open(
        actor=world.m["arne"], case_reference=other.reference, reason_code="missing", reason_text="Savnet i natt."
    )
    return list(Case.objects.all())


def test_the_same_relations_and_records_as_one_by_one(world):
    cases = _cases(world)
    seen = set()
    for username in ("kari", "ola", "mona", "nils", "kjell", "arne", "atle", "per", "dina", "rolf"):
        m = world.m[username]
        many = policy.case_accesses(m, cases)
        for case in cases:
            one = policy.case_access(m, case)
            got = many.get(case.pk)
            assert (got is None) == (one is None), (username, case.reference)
            if one is not None and got is not None:
                assert (got.relation, got.records) == (one.relation, one.records), (username, case.reference)
                seen.add(got.relation)
                assert [c.pk for c in got.bases()[0]] == [c.pk for c in one.bases()[0]]
                assert [d.pk for d in got.bases()[1]] == [d.pk for d in one.bases()[1]]
    assert seen == {
        policy.Relation.TEAM,
        policy.Relation.REFERRAL,
        policy.Relation.OWNER_COORDINATOR,
        policy.Relation.EMERGENCY,
    }


def test_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    cases = _cases(world) + [world.open_case(name=f"P{i}") for i in range(6)]
    with django_assert_max_num_queries(5):
        many = policy.case_accesses(world.m["kari"], cases)
        for ca in many.values():
            ca.bases()  # loaded already
    assert len(many) == len(cases) - 1  # all but atle's municipality's case
