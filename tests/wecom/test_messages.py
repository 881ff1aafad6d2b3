"""App messages (message/send, message/recall), app group chats (appchat/*), the group robot webhook,
and the exact requests Prometheus Alertmanager and Grafana send."""
import base64
import hashlib
import json

import pytest
import requests

from conftest import ADMIN_ACCOUNT, ADMIN_PASSWORD, make_client


@pytest.fixture(scope="session")
def alerts_app(server):
    """An app with the message scope, made as an administrator would: agentid and secret."""
    return server.cli("app", "create", "--corp-id", server.corp_id, "--name", "告警中心", "--scope", "message")


@pytest.fixture(scope="session")
def messenger(server, alerts_app):
    return make_client(server, secret=alerts_app["secret"])


@pytest.fixture(scope="session")
def agentid(alerts_app):
    return alerts_app["agentid"]


@pytest.fixture(scope="session")
def boss(server):
    """The administrator's own view, through the native API, to see what arrived."""
    r = requests.post(server.root + "/api/v1/auth/login", json={"corp_id": server.corp_id, "account": ADMIN_ACCOUNT, "password": ADMIN_PASSWORD, "client": "api"})
    assert r.status_code == 200, r.text
    s = requests.Session()
    s.headers["Authorization"] = "Bearer " + r.json()["token"]
    return s


def latest(server, boss, kind=None, name=None):
    convs = boss.get(server.root + "/api/v1/chat/conversations").json()["items"]
    conv = next(c for c in convs if (kind is None or c["kind"] == kind) and (name is None or c["name"] == name))
    items = boss.get(server.root + f"/api/v1/chat/conversations/{conv['id']}/messages").json()["items"]
    return conv, items[-1]


def test_send_text_markdown_card_and_news_to_a_member(server, messenger, boss, agentid):
    r = messenger.message.send_text(agentid, ["boss", "nobody_here"], "服务器 CPU 超过 90%")
    assert r["errcode"] == 0 and r["msgid"]
    assert r["invaliduser"] == "nobody_here"
    conv, last = latest(server, boss, kind="app")
    assert last["content"]["text"] == "服务器 CPU 超过 90%"
    assert last["sender"]["kind"] == "app"
    r = messenger.message.send_markdown(agentid, ["boss"], "**告警** <font color=\"warning\">严重</font>")
    assert r["errcode"] == 0
    _, last = latest(server, boss, kind="app")
    assert "md-warning" in last["html"]
    r = messenger.message.send_text_card(agentid, ["boss"], "审批提醒", "你有一条待审批", "https://example.com/a", "详情")
    assert r["errcode"] == 0
    _, last = latest(server, boss, kind="app")
    assert last["type"] == "textcard" and last["content"]["title"] == "审批提醒"
    r = messenger.message.send_articles(agentid, ["boss"], [{"title": "周报", "description": "d", "url": "https://example.com", "picurl": "", "image": ""}])
    assert r["errcode"] == 0
    _, last = latest(server, boss, kind="app")
    assert last["type"] == "news"


def test_department_and_unknown_recipients_are_reported(server, messenger, agentid):
    r = messenger.message.send_text(agentid, [], "全员", party_ids=["1", "99999"], tag_ids=["88888"])
    assert r["errcode"] == 0
    assert r["invalidparty"] == "99999" and r["invalidtag"] == "88888"
    # Nobody at all: 81013, as WeCom.
    token = messenger.access_token
    r = server.post("message/send", token, {"touser": "ghost1|ghost2", "agentid": agentid, "msgtype": "text", "text": {"content": "x"}})
    assert r["errcode"] == 81013


def test_an_app_without_the_message_scope_is_refused(server):
    token = server.token("reader")
    r = server.post("message/send", token, {"touser": "boss", "msgtype": "text", "text": {"content": "x"}})
    assert r["errcode"] == 48002


def test_recall_takes_back_every_copy(server, messenger, boss, agentid):
    r = messenger.message.send_text(agentid, ["boss"], "发错了")
    token = messenger.access_token
    assert server.post("message/recall", token, {"msgid": r["msgid"]})["errcode"] == 0
    conv = next(c for c in boss.get(server.root + "/api/v1/chat/conversations").json()["items"] if c["kind"] == "app")
    items = boss.get(server.root + f"/api/v1/chat/conversations/{conv['id']}/messages").json()["items"]
    recalled = [e for e in items if e["kind"] == "message" and e["recalled"]]
    assert recalled and recalled[-1]["content"] == {}
    assert items[-1]["kind"] == "recall"
    assert server.post("message/recall", token, {"msgid": "no-such"})["errcode"] != 0


def test_appchat_create_get_update_send(server, messenger, client, uid):
    for u in ("a", "b", "c"):
        client.user.create(f"chat{u}{uid}", f"群成员{u}", department=[1])
    chatid = messenger.appchat.create(name="发布群", owner=f"chata{uid}", user_list=[f"chata{uid}", f"chatb{uid}"], chat_id=f"release{uid}")
    chatid = chatid["chatid"] if isinstance(chatid, dict) else chatid
    assert chatid == f"release{uid}"
    info = messenger.appchat.get(chatid)
    info = info.get("chat_info", info)
    assert info["owner"] == f"chata{uid}" and sorted(info["userlist"]) == sorted([f"chata{uid}", f"chatb{uid}"])
    r = messenger.appchat.update(chatid, name="发布群2", add_user_list=[f"chatc{uid}"], del_user_list=[f"chatb{uid}"])
    assert r["errcode"] == 0
    info = messenger.appchat.get(chatid)
    info = info.get("chat_info", info)
    assert info["name"] == "发布群2" and sorted(info["userlist"]) == sorted([f"chata{uid}", f"chatc{uid}"])
    r = messenger.appchat.send_text(chatid, "大家好")
    assert r["errcode"] == 0
    token = messenger.access_token
    assert server.get("appchat/get", token, chatid="nope")["errcode"] == 86001
    # The robot for this group, as the command line adds it.
    robot = server.cli("robot", "create", "--corp-id", server.corp_id, "--chat", chatid, "--name", "发布机器人")
    assert robot["webhook_url"].endswith("/cgi-bin/webhook/send?key=" + robot["key"])
    hook = server.base + "webhook/send?key=" + robot["key"]
    assert requests.post(hook, data=json.dumps({"msgtype": "text", "text": {"content": "构建完成"}})).json()["errcode"] == 0
    png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
    body = {"msgtype": "image", "image": {"base64": base64.b64encode(png).decode(), "md5": hashlib.md5(png).hexdigest()}}
    assert requests.post(hook, json=body).json()["errcode"] == 0
    body["image"]["md5"] = "0" * 32
    assert requests.post(hook, json=body).json()["errcode"] != 0
    up = requests.post(server.base + "webhook/upload_media", params={"key": robot["key"], "type": "file"}, files={"media": ("日志.txt", b"log line\n")}).json()
    assert up["errcode"] == 0 and up["type"] == "file"
    assert requests.post(hook, json={"msgtype": "file", "file": {"media_id": up["media_id"]}}).json()["errcode"] == 0
    card = {"msgtype": "template_card", "template_card": {"card_type": "text_notice", "main_title": {"title": "发布", "desc": "v1.2"}, "card_action": {"type": 1, "url": "https://example.com"}}}
    assert requests.post(hook, json=card).json()["errcode"] == 0
    news = {"msgtype": "news", "news": {"articles": [{"title": "发布说明", "url": "https://example.com", "picurl": ""}]}}
    assert requests.post(hook, json=news).json()["errcode"] == 0
    bad = requests.post(server.base + "webhook/send?key=00000000-0000-0000-0000-000000000000", json={"msgtype": "text", "text": {"content": "x"}}).json()
    assert bad["errcode"] == 93000


def test_alertmanager_wechat_receiver(server, boss, agentid, alerts_app):
    """Alertmanager's notify/wechat: GET gettoken under wechat_api_url, then message/send with every
    value a string, empty ones omitted, and a trailing newline."""
    api_url = server.base
    alerts_secret = alerts_app["secret"]
    r = requests.get(api_url + "gettoken", params={"corpid": server.corp_id, "corpsecret": alerts_secret})
    token = r.json()["access_token"]
    assert token
    body = json.dumps({"text": {"content": "[FIRING:1] HighCPU"}, "touser": "boss", "agentid": str(agentid), "safe": "0", "msgtype": "text"}) + "\n"
    r = requests.post(api_url + "message/send", params={"access_token": token}, data=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 200 and r.json()["errcode"] == 0
    _, last = latest(server, boss, kind="app")
    assert last["content"]["text"] == "[FIRING:1] HighCPU"
    body = json.dumps({"markdown": {"content": "**[FIRING:1]** DiskFull"}, "toparty": "1", "agentid": str(agentid), "safe": "0", "msgtype": "markdown"}) + "\n"
    r = requests.post(api_url + "message/send", params={"access_token": token}, data=body, headers={"Content-Type": "application/json"})
    assert r.json()["errcode"] == 0


def test_grafana_wecom_contact_point(server, boss, agentid, messenger, client, uid, alerts_app):
    """Grafana's WeCom contact point in both modes: apiapp (POST gettoken with an empty JSON body, then
    message/send to @all) and groupRobot (the markdown body POSTed to the webhook URL)."""
    headers = {"Content-Type": "application/json", "User-Agent": "Grafana"}
    alerts_secret = alerts_app["secret"]
    r = requests.post(server.base + "gettoken", params={"corpid": server.corp_id, "corpsecret": alerts_secret}, data=b"", headers=headers)
    body = r.json()
    assert body["errcode"] == 0
    send = {"msgtype": "markdown", "markdown": {"content": "# [FIRING:1] HighLatency\n**Firing**\n"}, "agentid": str(agentid), "touser": "@all"}
    r = requests.post(server.base + "message/send", params={"access_token": body["access_token"]}, data=json.dumps(send), headers=headers)
    assert r.status_code == 200 and r.json()["errcode"] == 0
    _, last = latest(server, boss, kind="app")
    assert last["type"] == "markdown" and "HighLatency" in last["html"]
    # groupRobot mode.
    for u in ("x", "y"):
        client.user.create(f"gf{u}{uid}", f"值班{u}", department=[1])
    chatid = messenger.appchat.create(name="值班群", owner=f"gfx{uid}", user_list=[f"gfx{uid}", f"gfy{uid}"])
    chatid = chatid["chatid"] if isinstance(chatid, dict) else chatid
    robot = server.cli("robot", "create", "--corp-id", server.corp_id, "--chat", chatid, "--name", "Grafana")
    url = server.root + "/cgi-bin/webhook/send?key=" + robot["key"]
    r = requests.post(url, data=json.dumps({"msgtype": "markdown", "markdown": {"content": "# [FIRING:1] HighLatency\nvalue=3s\n"}}), headers=headers)
    assert r.status_code == 200 and r.json()["errcode"] == 0
    r = requests.post(url, data=json.dumps({"msgtype": "text", "text": {"content": "[FIRING:1] HighLatency\nvalue=3s\n"}}), headers=headers)
    assert r.json()["errcode"] == 0
