"""Attendance (打卡) through WeCom's checkin calls. wechatpy 2.0's `client.oa` has the reading calls
and the schedule calls (get_corp_checkin_option, get_checkin_option, get_checkin_data,
get_checkin_daydata, get_checkin_monthdata, get_checkin_schedu_list, set_checkin_schedu_list); they
are used unmodified where the installed wechatpy has them, and the same requests are sent through
the client's own `post` otherwise (wechatpy 1.8, and the rule and clock-in calls no version has)."""
import time
from datetime import datetime, timedelta, timezone

import pytest
from wechatpy.exceptions import WeChatClientException

from conftest import make_client

SHANGHAI = timezone(timedelta(hours=8))
DAY = 86400


def midnight(days_from_today=0):
    """00:00 in Shanghai (the enterprise's zone) of a day, as Unix seconds."""
    now = datetime.now(SHANGHAI)
    d = datetime(now.year, now.month, now.day, tzinfo=SHANGHAI) + timedelta(days=days_from_today)
    return int(d.timestamp())


def errcode_of(call):
    with pytest.raises(WeChatClientException) as e:
        call()
    return e.value.errcode


class Checkin:
    """The checkin calls of one client: wechatpy's own when it has them, else the same request."""

    def __init__(self, client):
        self.client = client
        self.oa = getattr(client, "oa", None)

    def _has(self, name):
        return self.oa is not None and hasattr(self.oa, name)

    def post(self, path, data=None):
        if data is None:
            return self.client.post(path)
        return self.client.post(path, data=data)

    def corp_options(self):
        if self._has("get_corp_checkin_option"):
            return self.oa.get_corp_checkin_option()
        return self.post("checkin/getcorpcheckinoption")

    def options(self, day, userids):
        if self._has("get_checkin_option"):
            return self.oa.get_checkin_option(day, userids)
        return self.post("checkin/getcheckinoption", {"datetime": day, "useridlist": userids})

    def data(self, kind, start, end, userids):
        if self._has("get_checkin_data"):
            return self.oa.get_checkin_data(kind, start, end, userids)
        return self.post("checkin/getcheckindata", {"opencheckindatatype": kind, "starttime": start, "endtime": end, "useridlist": userids})

    def day_data(self, start, end, userids):
        if self._has("get_checkin_daydata"):
            return self.oa.get_checkin_daydata(start, end, userids)
        return self.post("checkin/getcheckin_daydata", {"starttime": start, "endtime": end, "useridlist": userids})

    def month_data(self, start, end, userids):
        if self._has("get_checkin_monthdata"):
            return self.oa.get_checkin_monthdata(start, end, userids)
        return self.post("checkin/getcheckin_monthdata", {"starttime": start, "endtime": end, "useridlist": userids})

    def schedules(self, start, end, userids):
        if self._has("get_checkin_schedu_list"):
            return self.oa.get_checkin_schedu_list(start, end, userids)
        return self.post("checkin/getcheckinschedulist", {"starttime": start, "endtime": end, "useridlist": userids})

    def set_schedules(self, groupid, items, yearmonth):
        if self._has("set_checkin_schedu_list"):
            return self.oa.set_checkin_schedu_list(groupid, items, yearmonth)
        return self.post("checkin/setcheckinschedulist", {"groupid": groupid, "items": items, "yearmonth": yearmonth})

    def group(self, name):
        return next(g for g in self.corp_options()["group"] if g["groupname"] == name)


@pytest.fixture(scope="session")
def att_app(server):
    """An app with the attendance scope, made as an administrator would."""
    return server.cli("app", "create", "--corp-id", server.corp_id, "--name", "考勤对接", "--scope", "attendance")


@pytest.fixture(scope="session")
def checkin(server, att_app):
    return Checkin(make_client(server, secret=att_app["secret"]))


@pytest.fixture
def members(server, token, uid):
    names = {"zhang": "zs" + uid, "li": "ls" + uid}
    for userid in names.values():
        r = server.post("user/create", token, {"userid": userid, "name": "成员" + userid, "department": [1]})
        assert r["errcode"] == 0, r
    return names


def every_day_rule(name, userids):
    """09:00–18:00 with an hour's lunch on every day of the week (so yesterday was a working day
    whatever the date), statutory holidays ignored, near the office."""
    return {"grouptype": 1, "groupname": name,
            "checkindate": [{"workdays": [0, 1, 2, 3, 4, 5, 6],
                             "checkintime": [{"work_sec": 9 * 3600, "off_work_sec": 18 * 3600, "rest_begin_time": 12 * 3600, "rest_end_time": 13 * 3600}],
                             "limit_aheadtime": 7_200_000, "noneed_offwork": False}],
            "loc_infos": [{"lat": 31230400, "lng": 121473700, "loc_title": "总部", "loc_detail": "人民广场", "distance": 500}],
            "range": {"userid": userids}, "sync_holidays": False, "need_photo": False}


def test_rules_made_read_and_changed(checkin, members, uid):
    name = "全周打卡-" + uid
    r = checkin.post("checkin/add_checkin_option", {"effective_now": True, "group": every_day_rule(name, [members["zhang"]])})
    assert r["errcode"] == 0
    g = checkin.group(name)
    assert g["grouptype"] == 1 and isinstance(g["groupid"], int)
    assert g["checkindate"][0]["workdays"] == [0, 1, 2, 3, 4, 5, 6]
    section = g["checkindate"][0]["checkintime"][0]
    assert (section["work_sec"], section["off_work_sec"], section["rest_begin_time"]) == (32400, 64800, 43200)
    assert g["checkindate"][0]["limit_aheadtime"] == 7_200_000
    assert g["loc_infos"][0]["lat"] == 31230400 and g["loc_infos"][0]["distance"] == 500
    assert g["range"]["userid"] == [members["zhang"]]
    assert g["range"]["partyid"] == [] and g["range"]["party_id"] == []
    assert g["sync_holidays"] is False

    r = checkin.options(midnight(), [members["zhang"], members["li"]])
    # li follows no rule of this test; whatever rule covers them, zhang's is this one.
    by_user = {i["userid"]: i["group"] for i in r["info"]}
    assert by_user[members["zhang"]]["groupname"] == name

    # An update changes only what it names; departments may come as strings or numbers.
    r = checkin.post("checkin/update_checkin_option", {"group": {"groupid": g["groupid"], "groupname": name + "（新）", "need_photo": True, "loc_infos": []}})
    assert r["errcode"] == 0
    g = checkin.group(name + "（新）")
    assert g["need_photo"] is True
    assert g["loc_infos"][0]["loc_title"] == "总部"
    assert g["checkindate"][0]["checkintime"][0]["work_sec"] == 32400
    r = checkin.post("checkin/del_checkin_option", {"groupid": g["groupid"]})
    assert r["errcode"] == 0
    assert all(x["groupname"] != name + "（新）" for x in checkin.corp_options()["group"])


def test_records_days_and_months(checkin, members, uid):
    zhang, li = members["zhang"], members["li"]
    r = checkin.post("checkin/add_checkin_option", {"group": every_day_rule("记录-" + uid, [zhang, li])})
    assert r["errcode"] == 0
    yesterday = midnight(-1)
    # The terminal's records: zhang ten minutes late, and out five minutes after six.
    r = checkin.post("checkin/add_checkin_record", {"records": [
        {"userid": zhang, "checkin_time": yesterday + 9 * 3600 + 600, "location_title": "总部前台", "location_detail": "一楼",
         "lat": 31230400, "lng": 121473700, "device_type": 1, "device_detail": "前台考勤机", "notes": "", "mediaids": []},
        {"userid": zhang, "checkin_time": yesterday + 18 * 3600 + 300, "location_title": "总部前台", "location_detail": "一楼",
         "device_type": 1, "device_detail": "前台考勤机"}]})
    assert r["errcode"] == 0
    # li's clock-in is made up; the clock-out never came.
    r = checkin.post("checkin/punch_correction", {"userid": li, "schedule_date_time": yesterday, "schedule_checkin_time": 9 * 3600,
                                                  "checkin_time": yesterday + 9 * 3600, "remark": "忘记打卡"})
    assert r["errcode"] == 0

    records = checkin.data(3, yesterday, yesterday + DAY - 1, [zhang, li])["checkindata"]
    got = [(x["userid"], x["checkin_type"], x["exception_type"], x["checkin_time"] - yesterday) for x in records]
    assert got == [
        (zhang, "上班打卡", "时间异常", 9 * 3600 + 600),
        (zhang, "下班打卡", "", 18 * 3600 + 300),
        (li, "上班打卡", "", 9 * 3600),
        (li, "下班打卡", "未打卡", 18 * 3600),
    ]
    first = records[0]
    assert (first["lat"], first["lng"], first["deviceid"], first["sch_checkin_time"]) == (31230400, 121473700, "前台考勤机", yesterday + 9 * 3600)
    assert records[2]["notes"] == "忘记打卡"
    assert checkin.data(2, yesterday, yesterday + DAY - 1, [zhang, li])["checkindata"] == []

    # wechatpy asks for end > start: yesterday and today, today still open.
    datas = checkin.day_data(yesterday, yesterday + DAY, [zhang, li])["datas"]
    days = {(d["base_info"]["acctid"], d["base_info"]["date"]): d for d in datas}
    z = days[(zhang, yesterday)]
    assert z["base_info"]["record_type"] == 1 and z["base_info"]["day_type"] == 0
    assert z["base_info"]["rule_info"]["checkintime"] == [{"work_sec": 32400, "off_work_sec": 64800}]
    assert z["exception_infos"] == [{"exception": 1, "count": 1, "duration": 600}]
    assert z["summary_info"]["checkin_count"] == 2
    assert (z["summary_info"]["earliest_time"], z["summary_info"]["lastest_time"]) == (9 * 3600 + 600, 18 * 3600 + 300)
    assert z["summary_info"]["regular_work_sec"] == (8 * 60 - 10) * 60
    lday = days[(li, yesterday)]
    assert lday["exception_infos"] == [{"exception": 3, "count": 1, "duration": 0}]
    assert {"type": 2, "vacation_id": 0, "count": 1, "duration": 0, "time_type": 0, "name": "补卡次数"} in lday["sp_items"]

    month = {d["base_info"]["acctid"]: d for d in checkin.month_data(yesterday, yesterday + DAY, [zhang, li])["datas"]}
    assert month[zhang]["summary_info"]["work_days"] == 1
    assert month[zhang]["summary_info"]["except_days"] == 1
    assert month[zhang]["exception_infos"] == [{"exception": 1, "count": 1, "duration": 600}]
    assert month[li]["summary_info"]["standard_work_sec"] == 8 * 3600
    assert "workday_over_sec" in month[li]["overwork_info"]


def test_schedules(checkin, members, uid):
    zhang = members["zhang"]
    name = "排班-" + uid
    r = checkin.post("checkin/add_checkin_option", {"group": {"grouptype": 2, "groupname": name, "range": {"userid": [zhang]},
        "schedulelist": [{"schedule_name": "早班", "time_section": [{"work_sec": 7 * 3600, "off_work_sec": 15 * 3600}]},
                         {"schedule_name": "夜班", "time_section": [{"work_sec": 22 * 3600, "off_work_sec": 30 * 3600}]}]}})
    assert r["errcode"] == 0
    g = checkin.group(name)
    shifts = {s["schedule_name"]: s["schedule_id"] for s in g["schedulelist"]}
    # The first two days of next month.
    now = datetime.now(SHANGHAI)
    first = datetime(now.year + (now.month == 12), now.month % 12 + 1, 1, tzinfo=SHANGHAI)
    yearmonth = first.year * 100 + first.month
    r = checkin.set_schedules(g["groupid"], [{"userid": zhang, "day": 1, "schedule_id": shifts["早班"]},
                                             {"userid": zhang, "day": 2, "schedule_id": shifts["夜班"]}], yearmonth)
    assert r["errcode"] == 0
    start = int(first.timestamp())
    got = checkin.schedules(start, start + 2 * DAY - 1, [zhang])["schedule_list"]
    assert [(x["userid"], x["yearmonth"], x["groupid"]) for x in got] == [(zhang, yearmonth, g["groupid"])]
    days = got[0]["schedule"]["scheduleList"]
    assert [(d["day"], d["schedule_info"]["schedule_name"]) for d in days] == [(1, "早班"), (2, "夜班")]
    night = days[1]["schedule_info"]["time_section"][0]
    assert (night["id"], night["work_sec"], night["off_work_sec"]) == (1, 22 * 3600, 30 * 3600)
    # A shift of another rule is refused, naming it.
    with pytest.raises(WeChatClientException) as e:
        checkin.set_schedules(g["groupid"], [{"userid": zhang, "day": 3, "schedule_id": 99}], yearmonth)
    assert e.value.errcode == 301075 and "items.0.schedule_id" in e.value.errmsg


def test_errors(server, checkin, members, uid):
    now = int(time.time())
    zhang = members["zhang"]
    assert errcode_of(lambda: checkin.data(3, now - DAY, now, ["nobody-" + uid])) == 301021
    assert errcode_of(lambda: checkin.data(3, now - DAY, now, [f"u{i}" for i in range(101)])) == 301023
    assert errcode_of(lambda: checkin.data(3, now - 31 * DAY, now, [zhang])) == 301024
    assert errcode_of(lambda: checkin.day_data(now - 40 * DAY, now, [zhang])) == 301024
    # Only the app that made a rule changes it.
    r = checkin.post("checkin/add_checkin_option", {"group": every_day_rule("归属-" + uid, [zhang])})
    assert r["errcode"] == 0
    groupid = checkin.group("归属-" + uid)["groupid"]
    other = server.cli("app", "create", "--corp-id", server.corp_id, "--name", "别的考勤", "--scope", "attendance")
    theirs = Checkin(make_client(server, secret=other["secret"]))
    assert errcode_of(lambda: theirs.post("checkin/update_checkin_option", {"group": {"groupid": groupid, "groupname": "改名"}})) == 60011
    assert errcode_of(lambda: theirs.post("checkin/del_checkin_option", {"groupid": groupid})) == 60011
    # Bad parameters name the field.
    with pytest.raises(WeChatClientException) as e:
        checkin.post("checkin/add_checkin_option", {"group": {"grouptype": 1, "groupname": "坏-" + uid,
                                                              "checkindate": [{"workdays": [1], "checkintime": [{"work_sec": 36000, "off_work_sec": 200000}]}]}})
    assert e.value.errcode == 301075 and "group.checkindate.0.checkintime.0.off_work_sec: range" in e.value.errmsg
    # An app without the attendance scope is refused with 60011, never a token error.
    reader = Checkin(make_client(server, app="reader"))
    assert errcode_of(reader.corp_options) == 60011
    assert errcode_of(lambda: reader.data(3, now - DAY, now, [zhang])) == 60011
