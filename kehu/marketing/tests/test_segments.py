"""Segments: the customer list's filters saved, evaluated in the reader's scope, exclusions
(unsubscribed people, another segment), the live count, materialisation into a campaign."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kehu.customers.tests.factories import customer as make_customer
from kehu.marketing.actions import campaigns as campaign_actions
from kehu.marketing.actions.segments import materialise, save_segment, segment_customers
from kehu.marketing.models import CampaignMember, Segment
from kehu.marketing.tests.factories import campaign as make_campaign


@pytest.fixture
def marketer(make_user):
    return make_user("sales_manager", "a1")


@pytest.fixture
def stranger(make_user):
    return make_user("sales_manager", "a2")


def test_segment_finds_what_the_list_finds_in_the_readers_scope(marketer, stranger):
    sh = [make_customer(marketer, n, city="上海") for n in range(3)]
    make_customer(marketer, 10, city="北京")
    make_customer(stranger, 11, city="上海")
    seg = save_segment(Segment(name="上海客户", query="city=上海"), user=marketer)
    assert set(segment_customers(seg, user=marketer)) == set(sh)
    assert segment_customers(seg, user=stranger).count() == 1  # their own Shanghai customer


def test_bad_filters_are_refused(marketer):
    with pytest.raises(ValidationError) as exc:
        save_segment(Segment(name="坏", query="registered_after=2026-13-45"), user=marketer)
    assert exc.value.error_dict["query"][0].code == "bad_filter"


def test_exclusions_and_materialising(marketer):
    custs = [make_customer(marketer, n, city="上海") for n in range(4)]
    old = make_campaign(marketer, 1)
    campaign_actions.add_members(campaign=old, user=marketer, customers=custs[:1])
    member = old.members.get()
    campaign_actions.record_response(member=member, user=marketer, status="unsubscribed")
    vip = save_segment(Segment(name="VIP", query=f"q={custs[1].name}"), user=marketer)
    seg = save_segment(Segment(name="上海", query="city=上海", exclude=vip), user=marketer)
    assert set(segment_customers(seg, user=marketer)) == set(custs[2:])
    with pytest.raises(ValidationError):
        vip.exclude = seg
        save_segment(vip, user=marketer)  # a loop
    new = make_campaign(marketer, 2)
    assert materialise(segment=seg, campaign=new, user=marketer) == 2
    assert materialise(segment=seg, campaign=new, user=marketer) == 0
    assert not CampaignMember.objects.filter(campaign=new, customer=custs[0]).exists()


def test_editor_counts_live_and_saves_the_filters(client, marketer):
    for n in range(3):
        make_customer(marketer, n, city="上海")
    client.force_login(marketer)
    page = client.get(reverse("marketing:segment_add") + "?city=上海")
    assert page.status_code == 200 and 'value="上海"' in page.content.decode()
    count = client.get(reverse("marketing:segment_count"), {"f-city": "上海"})
    assert 'data-count="3"' in count.content.decode()
    bad = client.get(reverse("marketing:segment_count"), {"f-registered_after": "x"})
    assert bad.status_code == 400
    saved = client.post(
        reverse("marketing:segment_add"),
        {"name": "上海客户", "exclude_unsubscribed": "on", "f-city": "上海", "f-kind": ""},
    )
    assert saved.status_code == 302, saved.content.decode()[:500]
    seg = Segment.objects.get()
    assert seg.query == "city=%E4%B8%8A%E6%B5%B7"
    detail = client.get(seg.get_absolute_url())
    assert 'data-count="3"' in detail.content.decode()
    campaign = make_campaign(marketer, 1)
    r = client.post(
        reverse("marketing:segment_to_campaign", args=[seg.pk]), {"campaign": campaign.pk}
    )
    assert r.status_code == 302 and campaign.members.count() == 3
    assert client.get(f"/api/segments/{seg.pk}/count/").json() == {"count": 3}
