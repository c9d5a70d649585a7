"""The database fixtures work on both databases and roll back between tests."""

from sqlalchemy import func, select

from backend.users.models import Role


def test_roles_are_seeded_by_the_migration(session):
    assert set(session.scalars(select(Role.name))) == {"viewer", "analyst", "admin"}


def test_writes_are_rolled_back_between_tests_part1(session):
    session.add(Role(name="temp", description="x"))
    session.commit()
    assert session.scalar(select(func.count()).select_from(Role)) == 4


def test_writes_are_rolled_back_between_tests_part2(session):
    assert session.scalar(select(func.count()).select_from(Role)) == 3
