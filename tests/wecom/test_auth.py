"""gettoken and the token checks every call shares; permissions (48002) never look like token
trouble (40001/40014/42001), which wechatpy answers by fetching a token and retrying forever."""
import pytest
import requests
from wechatpy.exceptions import WeChatClientException

from conftest import make_client


def test_gettoken_get_and_post(server):
    for method in (requests.get, requests.post):
        r = method(server.base + "gettoken", params={"corpid": server.corp_id, "corpsecret": server.secrets["sync"]})
        assert r.status_code == 200
        body = r.json()
        assert body["errcode"] == 0 and body["errmsg"] == "ok"
        assert body["expires_in"] == 7200
        assert len(body["access_token"]) >= 32


@pytest.mark.parametrize(
    "params, errcode",
    [
        ({"corpid": "ww-not-a-corp", "corpsecret": "x"}, 40013),
        ({"corpsecret": "x"}, 40013),
        ({"corpid": "CORP", "corpsecret": "wrong-secret"}, 40001),
        ({"corpid": "CORP"}, 40001),
    ],
)
def test_gettoken_errors(server, params, errcode):
    params = {k: (server.corp_id if v == "CORP" else v) for k, v in params.items()}
    r = requests.get(server.base + "gettoken", params=params)
    assert r.status_code == 200
    body = r.json()
    assert body["errcode"] == errcode, body
    assert "access_token" not in body


def test_bad_missing_and_expired_tokens(server):
    assert server.get("user/get", "not-a-token", userid="boss")["errcode"] == 40014
    r = requests.get(server.base + "user/get", params={"userid": "boss"})
    assert r.status_code == 200 and r.json()["errcode"] == 41001
    tok = server.token()
    assert server.get("user/get", tok, userid="boss")["errcode"] == 0
    server.expire_token(tok)
    assert server.get("user/get", tok, userid="boss")["errcode"] == 42001
    # A POST with a bad token is judged on the token before the body is looked at.
    assert server.post("user/create", "not-a-token", {"userid": "x"})["errcode"] == 40014


def test_wechatpy_refreshes_a_rejected_token_once(server):
    c = make_client(server, access_token="stale-token-from-somewhere")
    assert c.user.get("boss")["userid"] == "boss"
    assert c.fetches == 1


def test_wechatpy_refreshes_an_expired_token(server):
    c = make_client(server)
    assert c.user.get("boss")["userid"] == "boss"
    server.expire_token(c.access_token)
    assert c.user.get("boss")["userid"] == "boss"
    assert c.fetches == 2


def test_wechatpy_surfaces_a_bad_secret_without_looping(server):
    c = make_client(server, secret="wrong-secret", access_token="stale")
    with pytest.raises(WeChatClientException) as e:
        c.user.get("boss")
    assert e.value.errcode == 40001
    assert c.fetches == 1


def test_wechatpy_without_retry_surfaces_40014(server):
    c = make_client(server, access_token="stale", auto_retry=False)
    with pytest.raises(WeChatClientException) as e:
        c.user.get("boss")
    assert e.value.errcode == 40014
    assert c.fetches == 0


def test_read_only_app_gets_48002_on_writes_without_a_retry(server, uid):
    c = make_client(server, app="reader")
    assert c.user.get("boss")["userid"] == "boss"
    for call in (
        lambda: c.user.create("ro" + uid, "只读", department=[1]),
        lambda: c.user.delete("boss"),
        lambda: c.department.create("只读部门" + uid, 1),
        lambda: c.tag.create("只读" + uid),
        lambda: c.batch.replace_party("http://x", "t", "k" * 43, "m"),
    ):
        with pytest.raises(WeChatClientException) as e:
            call()
        assert e.value.errcode == 48002
    # One token for all of it: 48002 is not mistaken for token trouble.
    assert c.fetches == 1


def test_app_without_contacts_scope_cannot_read(server):
    tok = server.token("messenger")
    assert server.get("user/get", tok, userid="boss")["errcode"] == 48002
    assert server.get("department/list", tok)["errcode"] == 48002
    assert server.get("tag/list", tok)["errcode"] == 48002
    assert server.get("user/simplelist", tok, department_id=1)["errcode"] == 48002


def test_unknown_path_is_a_real_404(server, token):
    r = requests.get(server.base + "no/such/api", params={"access_token": token})
    assert r.status_code == 404
