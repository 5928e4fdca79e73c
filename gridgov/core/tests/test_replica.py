"""The read replica router (decision 46). The PostgreSQL run of the suite sets ``GRIDGOV_READ_DATABASE_URL`` to
its own database, so ``replica`` is a second connection to the same server (Django's test mirror); the
SQLite run has no replica and checks that nothing changes without one."""

from __future__ import annotations

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from gridgov.areas.models import Area
from gridgov.core.replica import REPLICA, ReplicaRouter, configured, reading_replica
from gridgov.dashboards import selectors
from gridgov.testing.factories import make_tree, make_user

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def test_reads_in_the_block_go_to_the_replica_and_the_rest_stays_on_the_primary():
    make_tree()
    router = ReplicaRouter()
    assert router.db_for_read(Area) is None  # outside the block: the default database
    assert router.db_for_write(Area) == "default"
    if not configured():
        with reading_replica():
            assert router.db_for_read(Area) is None
            with CaptureQueriesContext(connection) as primary:
                assert Area.objects.count() == 15
        assert len(primary) == 1
        return
    replica = connections[REPLICA]
    assert replica is not connection  # a connection of its own to the same database
    with CaptureQueriesContext(replica) as on_replica, CaptureQueriesContext(connection) as on_primary:
        with reading_replica():
            assert router.db_for_read(Area) == REPLICA
            assert Area.objects.count() == 15  # committed rows are seen through the second connection
        assert Area.objects.filter(level="grid").count() == 8  # after the block: the primary
    assert len(on_replica) == 1 and len(on_primary) == 1
    # Inside a transaction on the primary, reads stay there and see its own uncommitted rows.
    with transaction.atomic():
        Area.objects.filter(code="610302001001001").update(name="改名的网格")
        with reading_replica():
            assert router.db_for_read(Area) is None
            assert Area.objects.get(code="610302001001001").name == "改名的网格"
        transaction.set_rollback(True)
    assert router.allow_migrate(REPLICA, "areas") is False


def test_the_dashboard_reads_from_the_replica():
    tree = make_tree()
    user = make_user(tree.admin, "dist", "district", area=tree["610302"])
    target = connections[REPLICA] if configured() else connection
    with CaptureQueriesContext(target) as captured:
        data = selectors.dashboard(user, "610302")
    assert data["area"]["code"] == "610302" and [c["code"] for c in data["children"]] == [
        "610302001",
        "610302002",
    ]
    assert len(captured) > 5
