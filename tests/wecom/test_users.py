"""Members: user/create, get, update, delete, batchdelete, simplelist, list, list_id, getuserid."""
import pytest
import requests
from wechatpy.exceptions import WeChatClientException


def errcode_of(call):
    with pytest.raises(WeChatClientException) as e:
        call()
    return e.value.errcode


@pytest.fixture
def dept(client, uid):
    """A fresh department under the root."""
    return client.department.create("成员测试" + uid, parent_id=1)["id"]


def test_create_and_get_round_trip(client, dept, uid, mobile):
    phone = mobile()
    client.user.create(
        "zs" + uid, "张三", department=[dept, 1], position="工程师", mobile=phone, gender=1, email=f"zs{uid}@example.com",
        tel="010-1234", alias="小张", order=[3, 0], main_department=dept,
    )
    u = client.user.get("zs" + uid)
    assert u["errcode"] == 0
    assert u["userid"] == "zs" + uid and u["name"] == "张三"
    assert sorted(u["department"]) == sorted([dept, 1])
    assert u["main_department"] == dept
    assert dict(zip(u["department"], u["order"])) == {dept: 3, 1: 0}
    assert u["gender"] == "1"
    assert u["mobile"] == phone and u["email"] == f"zs{uid}@example.com"
    assert u["position"] == "工程师" and u["alias"] == "小张" and u["telephone"] == "010-1234"
    assert u["status"] == 4  # not activated yet
    assert u["enable"] == 1
    assert u["is_leader_in_dept"] == [0, 0]
    assert u["direct_leader"] == []
    assert u["extattr"] == {"attrs": []}


def test_numbers_as_strings_and_no_content_type(server, token, dept, uid, mobile):
    body = {"userid": "str" + uid, "name": "字符串", "department": [str(dept)], "main_department": str(dept), "gender": "2", "mobile": mobile(), "enable": "1", "order": ["7"]}
    assert server.post("user/create", token, body)["errcode"] == 0
    u = server.get("user/get", token, userid="str" + uid)
    assert u["department"] == [dept] and u["order"] == [7] and u["gender"] == "2" and u["main_department"] == dept
    # An unparseable number is a parameter error, not a crash or a token error.
    bad = server.post("user/update", token, {"userid": "str" + uid, "main_department": "abc"})
    assert bad["errcode"] == 40058, bad
    # A body that is not JSON at all.
    r = requests.post(server.base + "department/create", params={"access_token": token}, data=b"{not json")
    assert r.status_code == 200 and r.json()["errcode"] == 40058


def test_create_conflicts_and_unknown_department(client, dept, uid, mobile):
    phone = mobile()
    client.user.create("dup" + uid, "甲", department=[dept], mobile=phone)
    assert errcode_of(lambda: client.user.create("dup" + uid, "乙", department=[dept])) == 60102
    assert errcode_of(lambda: client.user.create("other" + uid, "丙", department=[dept], mobile=phone)) == 60104
    assert errcode_of(lambda: client.user.create("nodept" + uid, "丁", department=[987654])) == 60003
    assert errcode_of(lambda: client.user.create("bad id!" + uid, "戊", department=[dept])) == 40058
    assert errcode_of(lambda: client.user.get("nobody" + uid)) == 60111


def test_leaders_and_direct_leader(client, dept, uid):
    client.user.create("lead" + uid, "领导", department=[dept], is_leader_in_dept=[1])
    client.user.create("staff" + uid, "员工", department=[dept], direct_leader=["lead" + uid])
    lead = client.user.get("lead" + uid)
    assert lead["is_leader_in_dept"] == [1]
    assert client.user.get("staff" + uid)["direct_leader"] == ["lead" + uid]
    departments = client.department.get(dept) if not hasattr(client.department, "simple_list") else client.department.list(dept)
    assert departments[0]["department_leader"] == ["lead" + uid]
    client.user.update("lead" + uid, is_leader_in_dept=[0])
    assert client.user.get("lead" + uid)["is_leader_in_dept"] == [0]
    client.user.update("staff" + uid, direct_leader=[])
    assert client.user.get("staff" + uid)["direct_leader"] == []
    assert errcode_of(lambda: client.user.update("staff" + uid, direct_leader=["ghost" + uid])) == 60111


def test_update_fields_and_enable(client, dept, uid, mobile):
    client.user.create("up" + uid, "旧名", department=[dept])
    phone = mobile()
    client.user.update("up" + uid, name="新名", position="经理", mobile=phone, department=[1, dept], main_department=1)
    u = client.user.get("up" + uid)
    assert (u["name"], u["position"], u["mobile"], u["main_department"]) == ("新名", "经理", phone, 1)
    client.user.update("up" + uid, enable=0)
    u = client.user.get("up" + uid)
    assert (u["enable"], u["status"]) == (0, 2)
    client.user.update("up" + uid, enable=1)
    assert client.user.get("up" + uid)["enable"] == 1
    assert errcode_of(lambda: client.user.update("ghost" + uid, name="x")) == 60111
    assert errcode_of(lambda: client.user.update("up" + uid, department=[123456])) == 60003


def test_create_disabled(client, dept, uid):
    client.user.create("off" + uid, "停用", department=[dept], enable=0)
    u = client.user.get("off" + uid)
    assert (u["enable"], u["status"]) == (0, 2)


def test_delete_and_batch_delete(client, dept, uid):
    for n in ("d1", "d2", "d3"):
        client.user.create(n + uid, n, department=[dept])
    client.user.delete("d1" + uid)
    assert errcode_of(lambda: client.user.get("d1" + uid)) == 60111
    assert errcode_of(lambda: client.user.delete("d1" + uid)) == 60111
    # One unknown userid: nothing is deleted.
    assert errcode_of(lambda: client.user.batch_delete(["d2" + uid, "ghost" + uid])) == 60111
    assert client.user.get("d2" + uid)["userid"] == "d2" + uid
    client.user.batch_delete(["d2" + uid, "d3" + uid])
    assert errcode_of(lambda: client.user.get("d3" + uid)) == 60111


def test_creator_cannot_be_deleted(client):
    assert errcode_of(lambda: client.user.delete("boss")) == 301005
    assert client.user.get("boss")["userid"] == "boss"


def test_simplelist_and_list(client, dept, uid):
    child = client.department.create("子部门" + uid, parent_id=dept)["id"]
    client.user.create("top" + uid, "上", department=[dept], gender=2)
    client.user.create("low" + uid, "下", department=[child])
    client.user.create("frz" + uid, "冻", department=[dept], enable=0)
    simple = client.user.list(dept, fetch_child=False, simple=True)
    assert sorted(u["userid"] for u in simple) == sorted(["top" + uid, "frz" + uid])
    assert all(set(u) >= {"userid", "name", "department"} for u in simple)
    assert "mobile" not in simple[0]
    full = client.user.list(dept, fetch_child=True)
    by_id = {u["userid"]: u for u in full}
    assert set(by_id) == {"top" + uid, "low" + uid, "frz" + uid}
    assert by_id["top" + uid]["gender"] == "2" and by_id["low" + uid]["department"] == [child]
    assert by_id["frz" + uid]["status"] == 2
    # The legacy status filter: 2 = disabled only.
    disabled = client.user.list(dept, fetch_child=True, status=2)
    assert [u["userid"] for u in disabled] == ["frz" + uid]
    with pytest.raises(WeChatClientException) as e:
        client.user.list(998877)
    assert e.value.errcode == 60003


def test_list_id_pages_with_a_cursor(server, token, client, dept, uid):
    for i in range(5):
        client.user.create(f"page{i}{uid}", f"分页{i}", department=[dept])
    seen, cursor, calls = [], "", 0
    while True:
        body = server.post("user/list_id", token, {"cursor": cursor, "limit": "2"})
        assert body["errcode"] == 0, body
        assert len({e["userid"] for e in body["dept_user"]}) <= 2
        seen.extend(body["dept_user"])
        calls += 1
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert calls >= 3
    mine = {e["userid"]: e["department"] for e in seen if e["userid"].endswith(uid)}
    assert mine == {f"page{i}{uid}": dept for i in range(5)}
    assert server.post("user/list_id", token, {"cursor": "garbage"})["errcode"] == 40058


def test_getuserid_by_mobile(server, token, client, dept, uid, mobile):
    phone = mobile()
    client.user.create("mob" + uid, "手机", department=[dept], mobile=phone)
    assert server.post("user/getuserid", token, {"mobile": phone}) == {"errcode": 0, "errmsg": "ok", "userid": "mob" + uid}
    assert server.post("user/getuserid", token, {"mobile": "13000000001"})["errcode"] == 60111
    if hasattr(client.user, "getuserid"):
        assert client.user.getuserid(phone) in ("mob" + uid, {"errcode": 0, "errmsg": "ok", "userid": "mob" + uid})


def test_reader_app_sees_the_directory(server, client, dept, uid):
    client.user.create("seen" + uid, "可见", department=[dept])
    tok = server.token("reader")
    u = server.get("user/get", tok, userid="seen" + uid)
    assert u["errcode"] == 0 and u["department"] == [dept]
    listed = server.get("user/simplelist", tok, department_id=dept)
    assert [x["userid"] for x in listed["userlist"]] == ["seen" + uid]
