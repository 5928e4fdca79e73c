"""Issue 13: a message's link says what it opens — a wish or a service order is not "查看事件" (view case)."""

from __future__ import annotations

import pytest

from gridgov.notify.actions import notify
from gridgov.testing.factories import make_tree, make_user

pytestmark = pytest.mark.django_db


def test_each_message_links_with_the_name_of_what_it_opens(client):
    tree = make_tree()
    worker = make_user(tree.admin, "worker", "grid_worker", tree["610302001001001"])
    notify(users=[worker], kind="wish", title="心愿已认领", url="/wishes/W-1/")
    notify(users=[worker], kind="order", title="新服务单", url="/orders/S-1/")
    notify(users=[worker], kind="warning", title="服务单即将超时", url="/orders/S-2/")
    notify(users=[worker], kind="project", title="项目已发布", url="/lists/projects/3/")
    notify(users=[worker], kind="dispatch", title="新派单", url="/cases/610302-20261123-000001/")
    client.force_login(worker)
    body = client.get("/inbox/").content.decode()
    assert '<a href="/wishes/W-1/">查看心愿</a>' in body
    assert '<a href="/orders/S-1/">查看服务单</a>' in body
    assert '<a href="/orders/S-2/">查看服务单</a>' in body  # a deadline of an order, not of a case
    assert '<a href="/lists/projects/3/">查看项目</a>' in body
    assert '<a href="/cases/610302-20261123-000001/">查看事件</a>' in body
    assert body.count("查看事件") == 1
