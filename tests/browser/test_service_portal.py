"""A customer's contact signs in to the service portal, sees their requests, opens one; the
satisfaction survey page after a click in the e-mail — in Chinese and English."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from kehu.core.context import acting_as
from kehu.customers.tests.factories import customer
from kehu.service.actions import requests as req_acts
from kehu.service.actions import surveys
from kehu.service.models import ServiceRequest, SurveyResponse
from kehu.service.tests.factories.portal import portal_account

pytestmark = pytest.mark.browser
PASSWORD = "Portal-pw-2026!"


def _english(web):
    web.context.add_cookies([{"name": "django_language", "value": "en", "url": web.base_url}])
    web.page.reload()


def test_portal_requests_and_survey_page(web, make_user):
    rep = make_user("salesperson", "a1", display_name="李娜")
    with acting_as(rep):
        cust = customer(rep, 1, name="苏州恒瑞精密机械有限公司")
        other = customer(rep, 2, name="北京另一家公司")
        account = portal_account(rep, customer=cust, email="zhangwei@hengrui.test")
        account.contact.name = "张伟"
        account.contact.save()
        made = []
        for subject, status in (
            ("数控机床主轴异响", None),
            ("温度传感器读数漂移", "in_progress"),
            ("打印机卡纸", "resolved"),
        ):
            req = req_acts.save_request(
                ServiceRequest(customer=cust, contact=account.contact, subject=subject),
                user=rep,
                route=False,
            )
            if status:
                req = req_acts.move_request(req, status, user=rep, resolution="更换了定影器组件")
            made.append(req)
        req_acts.save_request(
            ServiceRequest(customer=other, subject="别人的请求"), user=rep, route=False
        )
    page = web.page
    web.goto("/service/portal/")  # to the portal sign-in
    assert "/service/portal/login/" in page.url
    page.locator("#id_email").fill("zhangwei@hengrui.test")
    page.locator("#id_password").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("#portal-sign-in").click()
    table = page.locator("#portal-requests")
    expect(table).to_contain_text("数控机床主轴异响")
    expect(table).not_to_contain_text("别人的请求")
    web.screenshot("portal-requests")
    page.locator("#portal-new").click()
    page.locator("#id_subject").fill("设备报警 E203")
    page.locator("#id_description").fill("早班开机后控制面板显示 E203 报警。")
    with page.expect_navigation():
        page.locator("#portal-request-form button[type=submit]").click()
    expect(page.locator("#portal-status")).to_be_visible()
    assert ServiceRequest.objects.get(subject="设备报警 E203").channel == "portal"
    web.screenshot("portal-request")
    web.goto("/service/portal/")
    _english(web)
    expect(page.locator("#portal-requests")).to_contain_text("Status")
    web.screenshot("portal-requests")

    # the survey: a click in the e-mail, then a comment
    # resolving the third request sent its survey (the e-mail went through the messaging layer)
    survey = SurveyResponse.objects.get(request=made[2])
    assert survey.address == "zhangwei@hengrui.test"
    web.context.clear_cookies()
    web.goto(reverse("service:survey", args=[surveys.make_token(survey), 4]))
    expect(page.locator("#survey-recorded")).to_be_visible()
    page.locator("#id_comment").fill("工程师上门及时，问题一次解决。")
    web.screenshot("survey")
    with page.expect_navigation():
        page.locator("#survey-submit").click()
    expect(page.locator("#survey-done")).to_be_visible()
    survey.refresh_from_db()
    assert (survey.score, survey.comment) == (4, "工程师上门及时，问题一次解决。")
    web.goto(reverse("service:survey", args=[surveys.make_token(survey), 5]))
    _english(web)
    expect(page.locator("#survey-recorded")).to_contain_text("5 of 5")
    web.screenshot("survey")

    # the staff side: the survey report
    web.context.clear_cookies()
    web.login(rep.username)
    web.goto("/service/reports/surveys/?by=agent")
    expect(page.locator("#survey-table")).to_contain_text("100.0%")
    page.locator("[data-chart][data-rendered]").wait_for()
    web.screenshot("survey-report")
    _english(web)
    expect(page.locator("#survey-table")).to_contain_text("Response rate")
    page.locator("[data-chart][data-rendered]").wait_for()
    web.screenshot("survey-report")
