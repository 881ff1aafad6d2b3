"""Approvals (审批) through wechatpy's `oa` calls, unmodified: get_template_detail, apply_event with the
template's flow and with the caller's approvers, get_approval_info (which sends its filters under
`filter`, not `filters`) and get_approval_detail."""
import time

import pytest
import requests
from wechatpy.exceptions import WeChatClientException

from conftest import ADMIN_ACCOUNT, ADMIN_PASSWORD, make_client


def oa_of(client):
    """The approval API: `client.oa` in wechatpy 2, `client.OA` in 1.8."""
    return getattr(client, "oa", None) or client.OA


def errcode_of(call):
    with pytest.raises(WeChatClientException) as e:
        call()
    return e.value.errcode


def texts(text):
    return [{"text": text, "lang": "zh_CN"}]


@pytest.fixture(scope="session")
def oa_client(server):
    """An app with the approval scope, made as an administrator would."""
    app = server.cli("app", "create", "--corp-id", server.corp_id, "--name", "审批对接", "--scope", "approval")
    return make_client(server, secret=app["secret"])


@pytest.fixture(scope="session")
def oa(oa_client):
    return oa_of(oa_client)


@pytest.fixture(scope="session")
def boss(server):
    """The administrator through the native API, to decide approvals."""
    r = requests.post(server.root + "/api/v1/auth/login", json={"corp_id": server.corp_id, "account": ADMIN_ACCOUNT, "password": ADMIN_PASSWORD, "client": "api"})
    assert r.status_code == 200, r.text
    s = requests.Session()
    s.headers["Authorization"] = "Bearer " + r.json()["token"]
    return s


@pytest.fixture(scope="session")
def template_id(server, oa_client):
    """A template made through oa/approval/create_template (wechatpy has no call for it)."""
    body = {
        "template_name": texts("费用单-" + str(int(time.time() * 1000))),
        "template_content": {"controls": [
            {"property": {"control": "Text", "id": "Text-1", "title": texts("事由"), "require": 1}, "config": {}},
            {"property": {"control": "Money", "id": "Money-2", "title": texts("金额"), "require": 1}, "config": {}},
            {"property": {"control": "Selector", "id": "Selector-3", "title": texts("类别")},
             "config": {"selector": {"type": "single", "options": [{"key": "taxi", "value": texts("打车")}, {"key": "meal", "value": texts("餐费")}]}}},
            {"property": {"control": "Contact", "id": "Contact-4", "title": texts("同行人")}, "config": {"contact": {"type": "multi", "mode": "user"}}},
        ]},
    }
    r = server.post("oa/approval/create_template", oa_client.access_token, body)
    assert r["errcode"] == 0, r
    return r["template_id"]


@pytest.fixture
def members(server, token, uid):
    """Two members, and an applicant whose direct leader is the administrator."""
    names = {"first": "fa" + uid, "second": "sa" + uid, "applicant": "ap" + uid}
    for role, userid in names.items():
        body = {"userid": userid, "name": "成员" + userid, "department": [1]}
        if role == "applicant":
            body["direct_leader"] = [ADMIN_ACCOUNT]
        r = server.post("user/create", token, body)
        assert r["errcode"] == 0, r
    return names


def apply_data(reason, amount, kind="taxi", with_whom=()):
    return {"contents": [
        {"control": "Text", "id": "Text-1", "value": {"text": reason}},
        {"control": "Money", "id": "Money-2", "value": {"new_money": amount}},
        {"control": "Selector", "id": "Selector-3", "value": {"selector": {"type": "single", "options": [{"key": kind}]}}},
        {"control": "Contact", "id": "Contact-4", "value": {"members": [{"userid": u} for u in with_whom]}},
    ]}


def summary(line):
    return [{"summary_info": texts(line)}]


def test_template_detail(oa, template_id):
    r = oa.get_template_detail(template_id)
    assert r["errcode"] == 0
    assert r["template_names"][0]["text"].startswith("费用单-")
    controls = r["template_content"]["controls"]
    assert [(c["property"]["control"], c["property"]["id"]) for c in controls] == [
        ("Text", "Text-1"), ("Money", "Money-2"), ("Selector", "Selector-3"), ("Contact", "Contact-4")]
    assert controls[0]["property"]["require"] == 1
    assert controls[2]["config"]["selector"]["options"][1] == {"key": "meal", "value": texts("餐费")}
    assert controls[3]["config"] == {"contact": {"type": "multi", "mode": "user"}}


def test_apply_with_the_templates_flow_then_approve(oa, boss, server, template_id, members):
    r = oa.apply_event(members["applicant"], template_id, 1, [], apply_data("打车去机场", "88.50", with_whom=[members["first"]]), summary("打车 88.50 元"))
    assert r["errcode"] == 0
    sp_no = r["sp_no"]
    assert isinstance(sp_no, str) and len(sp_no) == 12
    info = oa.get_approval_detail(sp_no)["info"]
    assert info["sp_no"] == sp_no and info["template_id"] == template_id
    assert info["sp_status"] == 1
    assert info["applyer"] == {"userid": members["applicant"], "partyid": "1"}
    # The template's flow: the applicant's direct leader approves.
    assert [d["approver"]["userid"] for d in info["sp_record"][0]["details"]] == [ADMIN_ACCOUNT]
    assert info["sp_record"][0]["details"][0]["sptime"] == 0
    values = {c["id"]: c["value"] for c in info["apply_data"]["contents"]}
    assert values["Text-1"]["text"] == "打车去机场"
    assert values["Money-2"]["new_money"] == "88.50"
    assert values["Selector-3"]["selector"]["options"][0]["key"] == "taxi"
    assert [m["userid"] for m in values["Contact-4"]["members"]] == [members["first"]]
    r = boss.post(server.root + f"/api/v1/approvals/{sp_no}/approve", json={"comment": "同意"})
    assert r.status_code == 200, r.text
    info = oa.get_approval_detail(sp_no)["info"]
    assert info["sp_status"] == 2
    detail = info["sp_record"][0]["details"][0]
    assert (detail["sp_status"], detail["speech"]) == (2, "同意")
    assert detail["sptime"] >= info["apply_time"] > 0


def test_apply_with_named_approvers_and_notifyer(oa, template_id, members):
    approver = [{"attr": 2, "userid": [members["first"], members["second"]]}, {"attr": 1, "userid": [ADMIN_ACCOUNT]}]
    r = oa.apply_event(members["applicant"], template_id, 0, approver, apply_data("请客户吃饭", "300", kind="meal"), summary("餐费"),
                       notifyer=[members["second"]], notify_type=2)
    sp_no = r["sp_no"]
    info = oa.get_approval_detail(sp_no)["info"]
    assert [(rec["approverattr"], [d["approver"]["userid"] for d in rec["details"]]) for rec in info["sp_record"]] == [
        (2, [members["first"], members["second"]]), (1, [ADMIN_ACCOUNT])]
    assert info["notifyer"] == [{"userid": members["second"]}]
    # Copied once approved (notify_type 2): the copy node comes last.
    assert [n["node_type"] for n in info["process_list"]["node_list"]] == [1, 1, 2]
    assert info["comments"] == []


def test_get_approval_info_pages_and_filters(oa, template_id, members):
    start = int(time.time()) - 60
    made = []
    for i in range(3):
        made.append(oa.apply_event(members["applicant"], template_id, 1, [], apply_data(f"第{i}次", "10"), summary("x"))["sp_no"])
    end = int(time.time()) + 60
    mine = [{"key": "creator", "value": members["applicant"]}]
    seen, cursor = [], 0
    while True:
        r = oa.get_approval_info(start, end, cursor, size=2, filters=mine)
        seen.extend(r["sp_no_list"])
        if "next_cursor" not in r:
            break
        cursor = r["next_cursor"]
    assert seen == made
    r = oa.get_approval_info(start, end, 0, size=100, filters=mine + [{"key": "sp_status", "value": "2"}])
    assert r["sp_no_list"] == []
    r = oa.get_approval_info(start, end, 0, filters=[{"key": "template_id", "value": template_id}, {"key": "creator", "value": members["applicant"]}])
    assert r["sp_no_list"] == made


def test_errors(server, oa, template_id, members):
    now = int(time.time())
    # More than 31 days, or an end before the start: a parameter error.
    assert errcode_of(lambda: oa.get_approval_info(now - 32 * 86400, now, 0)) == 40058
    assert errcode_of(lambda: oa.get_approval_info(now, now - 10, 0)) == 40058
    assert errcode_of(lambda: oa.get_approval_detail("209901010001")) == 301025
    assert errcode_of(lambda: oa.get_template_detail("C4nosuchtemplate")) == 301025
    # A required control left out names it.
    with pytest.raises(WeChatClientException) as e:
        oa.apply_event(members["applicant"], template_id, 1, [], {"contents": [{"control": "Text", "id": "Text-1", "value": {"text": "x"}}]}, summary("x"))
    assert e.value.errcode == 40058 and "Money-2" in e.value.errmsg
    # An app without the approval scope is refused with WeCom's approval code, never a token error.
    reader = make_client(server, app="reader")
    assert errcode_of(lambda: oa_of(reader).get_approval_detail("209901010001")) == 301055
    assert errcode_of(lambda: oa_of(reader).apply_event(members["applicant"], template_id, 1, [], apply_data("x", "1"), summary("x"))) == 301055
