"""Batch jobs: syncuser, replaceuser and replaceparty round trips through media/upload and
batch/getresult. replaceuser and replaceparty act on the whole address book, so each test sets up
everything it checks itself."""
import time

import pytest
from wechatpy.exceptions import WeChatClientException

CALLBACK = ("http://127.0.0.1:9/callback", "token", "k" * 43)


def errcode_of(call):
    with pytest.raises(WeChatClientException) as e:
        call()
    return e.value.errcode


def upload(client, tmp_path, name, text, encoding="utf-8"):
    f = tmp_path / name
    f.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    with open(f, "rb") as fp:
        return client.media.upload("file", fp)["media_id"]


def wait_done(client, jobid, timeout=60):
    deadline = time.time() + timeout
    while True:
        r = client.batch.get_result(jobid)
        assert r["errcode"] == 0 and r["status"] in (1, 2, 3), r
        if r["status"] == 3:
            assert r["percentage"] == 100 and r["total"] == len(r["result"])
            return r
        assert time.time() < deadline, r
        time.sleep(0.2)


def root_name(client):
    return next(d["name"] for d in list_departments(client) if d["id"] == 1)


def list_departments(client, id=None):
    if hasattr(client.department, "simple_list"):
        return client.department.list(id)
    return client.department.get(id)


def test_syncuser_creates_and_updates_only_given_columns(client, tmp_path, uid, mobile):
    dept = client.department.create("同步" + uid, parent_id=1)["id"]
    m1, m2 = mobile(), mobile()
    csv = (
        "姓名,帐号,手机号,邮箱,所在部门,职务,性别\n"
        f"张三,s1{uid},{m1},s1{uid}@example.com,{dept},工程师,男\n"
        f"李四,s2{uid},{m2},,1;{dept},产品,女\n"
        f"王五,s3{uid},12345,,{dept},,\n"
        f"赵六,s4{uid},,,987654,,\n"
        f"钱七,s5{uid},,,{root_name(client)}/同步/新组{uid},,\n"
    )
    jobid = client.batch.sync_user(*CALLBACK, upload(client, tmp_path, "members.csv", csv))["jobid"]
    r = wait_done(client, jobid)
    assert r["type"] == "sync_user"
    assert [(e["userid"], e["errcode"]) for e in r["result"]] == [("s1" + uid, 0), ("s2" + uid, 0), ("s3" + uid, 40058), ("s4" + uid, 60003), ("s5" + uid, 0)]
    assert r["result"][0]["errmsg"] == "ok"
    s1 = client.user.get("s1" + uid)
    assert (s1["name"], s1["mobile"], s1["department"], s1["position"], s1["gender"]) == ("张三", m1, [dept], "工程师", "1")
    assert sorted(client.user.get("s2" + uid)["department"]) == sorted([1, dept])
    assert errcode_of(lambda: client.user.get("s3" + uid)) == 60111
    # A department given by a path of names is created like the importer does.
    assert any(d["name"] == "新组" + uid for d in list_departments(client))

    # The second file has no mobile, email or department column: those stay as they were.
    update = f"姓名,帐号,职务\n张三丰,s1{uid},架构师\n"
    r = wait_done(client, client.batch.sync_user(*CALLBACK, upload(client, tmp_path, "update.csv", update))["jobid"])
    assert [(e["userid"], e["errcode"]) for e in r["result"]] == [("s1" + uid, 0)]
    s1 = client.user.get("s1" + uid)
    assert (s1["name"], s1["position"], s1["mobile"], s1["email"], s1["department"]) == ("张三丰", "架构师", m1, f"s1{uid}@example.com", [dept])
    # Members the file does not list are left alone.
    assert client.user.get("s2" + uid)["userid"] == "s2" + uid


def test_syncuser_reads_gbk_and_reports_conflicts(client, tmp_path, uid, mobile):
    phone = mobile()
    client.user.create("owner" + uid, "号主", department=[1], mobile=phone)
    csv = f"姓名,帐号,手机号,所在部门\n孙八,gbk{uid},{phone},1\n周九,gbk2{uid},,1\n"
    r = wait_done(client, client.batch.sync_user(*CALLBACK, upload(client, tmp_path, "gbk.csv", csv, encoding="gbk"))["jobid"])
    assert [(e["userid"], e["errcode"]) for e in r["result"]] == [("gbk" + uid, 60104), ("gbk2" + uid, 0)]
    assert client.user.get("gbk2" + uid)["name"] == "周九"


def test_replaceuser_deletes_the_unlisted(client, tmp_path, uid, mobile):
    dept = client.department.create("覆盖" + uid, parent_id=1)["id"]
    phone = mobile()
    client.user.create("keep" + uid, "保留", department=[dept], mobile=phone, position="旧职务")
    client.user.create("gone" + uid, "删除", department=[dept])
    csv = f"姓名,帐号,所在部门,职务\n保留,keep{uid},{dept},新职务\n新人,new{uid},{dept},\n"
    r = wait_done(client, client.batch.replace_user(*CALLBACK, upload(client, tmp_path, "replace.csv", csv))["jobid"])
    assert r["type"] == "replace_user"
    codes = {e["userid"]: e["errcode"] for e in r["result"]}
    assert codes["keep" + uid] == 0 and codes["new" + uid] == 0 and codes["gone" + uid] == 0
    # The creator cannot be deleted; that is reported, not fatal.
    assert codes["boss"] == 301005
    assert errcode_of(lambda: client.user.get("gone" + uid)) == 60111
    keep = client.user.get("keep" + uid)
    # replaceuser takes the file as the whole truth: no mobile column, no mobile.
    assert (keep["position"], keep["mobile"]) == ("新职务", "")
    assert client.user.get("boss")["userid"] == "boss"
    assert {u["userid"] for u in client.user.list(1, fetch_child=True, simple=True)} == {"boss", "keep" + uid, "new" + uid}


def test_replaceuser_with_no_usable_row_deletes_nobody(client, tmp_path, uid):
    client.user.create("safe" + uid, "安全", department=[1])
    csv = f"姓名,帐号,手机号,所在部门\n坏,bad{uid},12,1\n"
    r = wait_done(client, client.batch.replace_user(*CALLBACK, upload(client, tmp_path, "bad.csv", csv))["jobid"])
    assert [(e["userid"], e["errcode"]) for e in r["result"]] == [("bad" + uid, 40058)]
    assert client.user.get("safe" + uid)["userid"] == "safe" + uid


def test_replaceparty_rebuilds_the_tree(client, tmp_path, uid):
    kept = client.department.create("有人" + uid, parent_id=1)["id"]
    client.user.create("member" + uid, "成员", department=[kept])
    empty = client.department.create("空部门" + uid, parent_id=1)["id"]
    empty_parent = client.department.create("空父" + uid, parent_id=1)["id"]
    empty_child = client.department.create("空子" + uid, parent_id=empty_parent)["id"]
    moved = client.department.create("待移" + uid, parent_id=1)["id"]
    new_parent, new_child = moved + 7000, moved + 7001
    csv = (
        "部门名称,部门ID,父部门ID,排序\n"
        f"{root_name(client)},1,0,\n"
        f"新子{uid},{new_child},{new_parent},3\n"
        f"新父{uid},{new_parent},1,2\n"
        f"已移{uid},{moved},{new_parent},\n"
        f"孤儿{uid},{moved + 7002},999999,\n"
        f"坏行{uid},abc,1,\n"
    )
    r = wait_done(client, client.batch.replace_party(*CALLBACK, upload(client, tmp_path, "party.csv", csv))["jobid"])
    assert r["type"] == "replace_party"
    got = [(e["partyid"], e["action"], e["errcode"]) for e in r["result"]]
    assert got == [(1, 0, 0), (new_child, 1, 0), (new_parent, 1, 0), (moved, 2 | 4, 0), (moved + 7002, 1, 60003), (0, 0, 40058)]
    tree = {d["id"]: d for d in list_departments(client)}
    assert tree[new_child]["parentid"] == new_parent and tree[new_child]["order"] == 3
    assert (tree[moved]["name"], tree[moved]["parentid"]) == ("已移" + uid, new_parent)
    # Unlisted: the one with a member stays, the empty ones (a whole empty branch too) go.
    assert kept in tree
    assert empty not in tree and empty_parent not in tree and empty_child not in tree
    assert moved + 7002 not in tree


def test_batch_errors(server, token, client, tmp_path, uid):
    assert errcode_of(lambda: client.batch.sync_user(*CALLBACK, "no-such-media")) == 40007
    assert server.post("batch/syncuser", token, {})["errcode"] == 40058
    assert errcode_of(lambda: client.batch.get_result("no-such-job")) == 40058
    assert server.get("batch/getresult", token)["errcode"] == 40058
    # A file that is not a member sheet ends the job with the reason as its result.
    media_id = upload(client, tmp_path, "image.png", b"\x89PNG\r\n\x1a\n\0\0\0")
    r = wait_done(client, client.batch.sync_user(*CALLBACK, media_id)["jobid"])
    assert [e["errcode"] for e in r["result"]] == [40058]
    r = wait_done(client, client.batch.replace_party(*CALLBACK, upload(client, tmp_path, "members.csv", "姓名,帐号\n甲,a\n"))["jobid"])
    assert [e["errcode"] for e in r["result"]] == [40058]
    # Numbers as strings and no Content-Type: the jobid comes back all the same.
    body = server.post("batch/syncuser", token, {"media_id": upload(client, tmp_path, "one.csv", f"姓名,帐号,所在部门\n一,one{uid},1\n"), "to_invite": "false"})
    assert body["errcode"] == 0 and body["jobid"]
    wait_done(client, body["jobid"])
    reader = server.token("reader")
    assert server.get("batch/getresult", reader, jobid=body["jobid"])["errcode"] == 48002
