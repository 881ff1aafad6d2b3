"""Tags: create, update, delete, get, addtagusers, deltagusers, list."""
import pytest
from wechatpy.exceptions import WeChatClientException


def errcode_of(call):
    with pytest.raises(WeChatClientException) as e:
        call()
    return e.value.errcode


def test_tag_lifecycle(server, token, client, uid):
    tagid = client.tag.create("核心" + uid)["tagid"]
    assert isinstance(tagid, int)
    assert {"tagid": tagid, "tagname": "核心" + uid} in client.tag.list()
    client.tag.update(tagid, "骨干" + uid)
    assert client.tag.get_users(tagid)["tagname"] == "骨干" + uid
    assert errcode_of(lambda: client.tag.create("骨干" + uid)) == 40071
    # A chosen id, as a string.
    body = server.post("tag/create", token, {"tagname": "指定" + uid, "tagid": str(tagid + 1000)})
    assert body == {"errcode": 0, "errmsg": "ok", "tagid": tagid + 1000}
    client.tag.delete(tagid)
    assert errcode_of(lambda: client.tag.get_users(tagid)) == 40068
    assert errcode_of(lambda: client.tag.delete(tagid)) == 40068
    assert all(t["tagid"] != tagid for t in client.tag.list())


def test_tag_members_and_invalid_lists(server, token, client, uid):
    dept = client.department.create("标签部门" + uid, parent_id=1)["id"]
    client.user.create("t1" + uid, "甲", department=[dept])
    client.user.create("t2" + uid, "乙", department=[dept])
    tagid = client.tag.create("成员标签" + uid)["tagid"]
    res = client.tag.add_users(tagid, ["t1" + uid, "t2" + uid])
    assert res["errcode"] == 0 and "invalidlist" not in res
    partial = server.post("tag/addtagusers", token, {"tagid": tagid, "userlist": ["t1" + uid, "ghost" + uid, "ghost2" + uid], "partylist": [dept, 909090]})
    assert partial["errcode"] == 0
    assert partial["invalidlist"] == f"ghost{uid}|ghost2{uid}"
    assert partial["invalidparty"] == [909090]
    got = client.tag.get_users(tagid)
    assert sorted(u["userid"] for u in got["userlist"]) == ["t1" + uid, "t2" + uid]
    assert {"userid": "t1" + uid, "name": "甲"} in got["userlist"]
    assert got["partylist"] == [dept]
    all_bad = server.post("tag/addtagusers", token, {"tagid": tagid, "userlist": ["ghost" + uid], "partylist": [909090]})
    assert all_bad["errcode"] == 40070
    assert server.post("tag/addtagusers", token, {"tagid": tagid})["errcode"] == 40058
    assert server.post("tag/addtagusers", token, {"tagid": 777777, "userlist": ["t1" + uid]})["errcode"] == 40068
    client.tag.delete_users(tagid, ["t2" + uid])
    assert [u["userid"] for u in client.tag.get_users(tagid)["userlist"]] == ["t1" + uid]
    removed = server.post("tag/deltagusers", token, {"tagid": str(tagid), "partylist": [str(dept)]})
    assert removed["errcode"] == 0
    assert client.tag.get_users(tagid)["partylist"] == []
    assert server.post("tag/deltagusers", token, {"tagid": tagid, "userlist": ["ghost" + uid]})["errcode"] == 40070
    # The tag shows on the member.
    assert client.tag.get_users(tagid)["userlist"] == [{"userid": "t1" + uid, "name": "甲"}]


def test_reader_can_read_tags_but_not_change_them(server, client, uid):
    tagid = client.tag.create("只读标签" + uid)["tagid"]
    tok = server.token("reader")
    assert any(t["tagid"] == tagid for t in server.get("tag/list", tok)["taglist"])
    assert server.get("tag/get", tok, tagid=tagid)["tagname"] == "只读标签" + uid
    assert server.post("tag/addtagusers", tok, {"tagid": tagid, "userlist": ["boss"]})["errcode"] == 48002
    assert server.get("tag/delete", tok, tagid=tagid)["errcode"] == 48002
