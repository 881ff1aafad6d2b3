"""Leave balances (假期) through WeCom's vacation calls. wechatpy has none of them, so they go raw
through the client's own `get` and `post` (its token handling and errcode checks): getcorpconf,
getuservacationquota and setoneuserquota, with WeCom's units (seconds) and error codes."""
import pytest
from wechatpy.exceptions import WeChatClientException

from conftest import make_client

DAY = 86400
HOUR = 3600


def errcode_of(call):
    with pytest.raises(WeChatClientException) as e:
        call()
    return e.value.errcode


@pytest.fixture(scope="session")
def vacation(server):
    """An app with the attendance scope, made as an administrator would."""
    app = server.cli("app", "create", "--corp-id", server.corp_id, "--name", "假勤对接", "--scope", "attendance")
    return make_client(server, secret=app["secret"])


@pytest.fixture
def member(server, token, uid):
    userid = "vac" + uid
    r = server.post("user/create", token, {"userid": userid, "name": "假期" + uid, "department": [1]})
    assert r["errcode"] == 0, r
    return userid


def by_name(lists, key="name"):
    return {v[key]: v for v in lists}


def test_corp_conf_lists_the_leave_types(vacation):
    r = vacation.get("oa/vacation/getcorpconf")
    assert r["errcode"] == 0
    types = by_name(r["lists"])
    assert list(types)[:8] == ["年假", "事假", "病假", "调休假", "婚假", "产假", "陪产假", "丧假"]
    annual = types["年假"]
    assert (annual["id"], annual["time_attr"], annual["perday_duration"]) == (1, 0, DAY)
    assert annual["quota_attr"]["type"] == 1 and annual["quota_attr"]["quota_rule_type"] == 1
    assert [(q["begin"], q["end"], q["quota"]) for q in annual["quota_attr"]["quota_rules"]["list"]] == [
        (0, 1, 0), (1, 10, 5 * DAY), (10, 20, 10 * DAY), (20, 0, 15 * DAY)]
    comp = types["调休假"]
    assert (comp["time_attr"], comp["is_newovertime"], comp["perday_duration"]) == (1, 1, 8 * HOUR)
    assert comp["expire_rule"]["type"] == 3 and comp["expire_rule"]["duration"] == 6
    assert types["事假"]["quota_attr"]["type"] == 0
    assert types["婚假"]["quota_attr"]["type"] == 2


def test_set_then_read_a_members_balance(vacation, member):
    quota = by_name(vacation.post("oa/vacation/getuservacationquota", data={"userid": member})["lists"], "vacationname")
    # Added today, under a year of work: no annual leave yet.
    assert quota["年假"]["leftduration"] == 0
    r = vacation.post("oa/vacation/setoneuserquota", data={
        "userid": member, "vacation_id": 1, "leftduration": int(3.5 * DAY), "time_attr": 0, "remarks": "入职补录"})
    assert r["errcode"] == 0
    # Ids as strings, as some clients send them; 12.5 hours of comp time.
    r = vacation.post("oa/vacation/setoneuserquota", data={
        "userid": member, "vacation_id": "4", "leftduration": str(int(12.5 * HOUR)), "time_attr": "1"})
    assert r["errcode"] == 0
    quota = by_name(vacation.post("oa/vacation/getuservacationquota", data={"userid": member})["lists"], "vacationname")
    assert (quota["年假"]["id"], quota["年假"]["leftduration"], quota["年假"]["usedduration"]) == (1, int(3.5 * DAY), 0)
    assert quota["年假"]["assignduration"] == quota["年假"]["real_assignduration"] == int(3.5 * DAY)
    assert quota["调休假"]["leftduration"] == int(12.5 * HOUR)
    # Setting it lower takes the difference away.
    vacation.post("oa/vacation/setoneuserquota", data={"userid": member, "vacation_id": 1, "leftduration": DAY, "time_attr": 0})
    quota = by_name(vacation.post("oa/vacation/getuservacationquota", data={"userid": member})["lists"], "vacationname")
    assert quota["年假"]["leftduration"] == DAY


def test_wecom_error_codes(server, vacation, member):
    def setting(**body):
        return lambda: vacation.post("oa/vacation/setoneuserquota", data={"userid": member, **body})

    # time_attr must be the type's; balances in tenths of the unit, at most 1000 days.
    assert errcode_of(setting(vacation_id=1, leftduration=DAY, time_attr=1)) == 301063
    assert errcode_of(setting(vacation_id=1, leftduration=1000, time_attr=0)) == 301063
    assert errcode_of(setting(vacation_id=4, leftduration=100, time_attr=1)) == 301063
    assert errcode_of(setting(vacation_id=1, leftduration=1001 * DAY, time_attr=0)) == 301063
    assert errcode_of(setting(vacation_id=999, leftduration=0, time_attr=0)) == 301063
    # Sick leave has no balance to set.
    assert errcode_of(setting(vacation_id=3, leftduration=0, time_attr=0)) == 301063
    assert errcode_of(lambda: vacation.post("oa/vacation/setoneuserquota", data={
        "userid": "nobody-here", "vacation_id": 1, "leftduration": 0, "time_attr": 0})) == 301063
    # An app without the attendance scope.
    other = make_client(server, app="sync")
    assert errcode_of(lambda: other.get("oa/vacation/getcorpconf")) == 301062
    assert errcode_of(lambda: other.post("oa/vacation/getuservacationquota", data={"userid": member})) == 301062
