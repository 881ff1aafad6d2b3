"""Departments: create, update, delete, list, simplelist, get."""
import pytest
from wechatpy.exceptions import WeChatClientException


def errcode_of(call):
    with pytest.raises(WeChatClientException) as e:
        call()
    return e.value.errcode


def listed(client, id=None):
    """department/list through whichever name this wechatpy has for it."""
    if hasattr(client.department, "simple_list"):
        return client.department.list(id)
    return client.department.get(id)


def test_create_list_and_get(server, token, client, uid):
    top = client.department.create("研发部" + uid, parent_id=1, order=5)["id"]
    assert isinstance(top, int) and top > 1
    child = client.department.create("后端组" + uid, parent_id=top, id=top + 5000)["id"]
    assert child == top + 5000
    tree = listed(client, top)
    assert [d["id"] for d in tree] == [top, child]
    assert tree[0] == {"id": top, "name": "研发部" + uid, "name_en": "", "parentid": 1, "order": 5, "department_leader": []}
    assert tree[1]["parentid"] == top
    assert any(d["id"] == 1 and d["parentid"] == 0 for d in listed(client))
    simple = server.get("department/simplelist", token, id=top)
    assert simple["errcode"] == 0
    assert simple["department_id"] == [{"id": top, "parentid": 1, "order": 5}, {"id": child, "parentid": top, "order": simple["department_id"][1]["order"]}]
    got = server.get("department/get", token, id=child)
    assert got["errcode"] == 0 and got["department"]["name"] == "后端组" + uid and got["department"]["parentid"] == top
    if hasattr(client.department, "simple_list"):
        assert [d["id"] for d in client.department.simple_list(top)] == [top, child]


def test_create_errors(server, token, client, uid):
    client.department.create("同名" + uid, parent_id=1)
    assert errcode_of(lambda: client.department.create("同名" + uid, parent_id=1)) == 60008
    assert errcode_of(lambda: client.department.create("孤儿" + uid, parent_id=765432)) == 60003
    assert errcode_of(lambda: client.department.create("坏名字|" + uid, parent_id=1)) == 40058
    taken = client.department.create("占号" + uid, parent_id=1)["id"]
    assert errcode_of(lambda: client.department.create("重号" + uid, parent_id=1, id=taken)) == 60008
    # Strings for numbers, no Content-Type.
    body = server.post("department/create", token, {"name": "字符串" + uid, "parentid": "1", "order": "3"})
    assert body["errcode"] == 0 and isinstance(body["id"], int)
    assert server.post("department/create", token, {"name": "无父" + uid})["errcode"] == 40058


def test_update_rename_move_reorder(client, uid):
    a = client.department.create("甲" + uid, parent_id=1)["id"]
    b = client.department.create("乙" + uid, parent_id=1)["id"]
    client.department.update(b, name="乙改" + uid, parent_id=a, order=9)
    d = listed(client, b)[0]
    assert (d["name"], d["parentid"], d["order"]) == ("乙改" + uid, a, 9)
    assert errcode_of(lambda: client.department.update(a, parent_id=b)) == 60123
    assert errcode_of(lambda: client.department.update(555444, name="不存在")) == 60003
    assert errcode_of(lambda: client.department.update(b, parent_id=555444)) == 60003


def test_delete_rules(client, uid):
    parent = client.department.create("父" + uid, parent_id=1)["id"]
    child = client.department.create("子" + uid, parent_id=parent)["id"]
    assert errcode_of(lambda: client.department.delete(parent)) == 60006
    client.user.create("in" + uid, "成员", department=[child])
    assert errcode_of(lambda: client.department.delete(child)) == 60005
    client.user.delete("in" + uid)
    client.department.delete(child)
    client.department.delete(parent)
    assert errcode_of(lambda: client.department.delete(parent)) == 60003
    assert errcode_of(lambda: listed(client, parent)) == 60003
    assert errcode_of(lambda: client.department.delete(1)) == 60123


def test_get_unknown(server, token):
    assert server.get("department/get", token, id=424242)["errcode"] == 60003
    assert server.get("department/get", token)["errcode"] == 40058
    assert server.get("department/list", token, id="abc")["errcode"] == 40058
