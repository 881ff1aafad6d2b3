"""Temporary media: media/upload and media/get."""
import time
import urllib.parse

import requests

from conftest import MAX_UPLOAD_BYTES, make_client


def test_upload_and_download_round_trip_with_a_chinese_name(client, tmp_path):
    payload = "姓名,帐号\n张三,zhangsan\n".encode("utf-8") + bytes(range(256))
    f = tmp_path / "通讯录 说明.csv"
    f.write_bytes(payload)
    with open(f, "rb") as fp:
        up = client.media.upload("file", fp)
    assert up["errcode"] == 0 and up["type"] == "file"
    assert isinstance(up["created_at"], str) and abs(int(up["created_at"]) - time.time()) < 120
    res = client.media.download(up["media_id"])
    assert res.status_code == 200
    assert res.content == payload
    # The type comes from the bytes, not the name: these are not text, so they are plain bytes.
    assert res.headers["Content-Type"] == "application/octet-stream"
    assert res.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in res.headers["Content-Security-Policy"]
    disposition = res.headers["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    encoded = disposition.split("filename*=UTF-8''", 1)[1]
    assert urllib.parse.unquote(encoded) == "通讯录 说明.csv"


def test_ascii_name_and_image_type(client, tmp_path):
    f = tmp_path / "logo.png"
    f.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    with open(f, "rb") as fp:
        up = client.media.upload("image", fp)
    res = client.media.download(up["media_id"])
    assert res.headers["Content-Type"] == "image/png"
    assert res.headers["Content-Disposition"] == 'attachment; filename="logo.png"'


def test_media_errors(server, token, client, tmp_path):
    r = requests.get(server.base + "media/get", params={"access_token": token, "media_id": "no-such-media"})
    assert r.status_code == 200 and r.json()["errcode"] == 40007
    r = requests.get(server.base + "media/get", params={"access_token": token})
    assert r.json()["errcode"] == 40007
    f = tmp_path / "a.txt"
    f.write_bytes(b"hello")
    bad_type = requests.post(server.base + "media/upload", params={"access_token": token, "type": "sticker"}, files={"media": open(f, "rb")})
    assert bad_type.status_code == 200 and bad_type.json()["errcode"] == 40058
    no_file = requests.post(server.base + "media/upload", params={"access_token": token, "type": "file"}, files={"other": open(f, "rb")})
    assert no_file.json()["errcode"] == 40058
    not_multipart = requests.post(server.base + "media/upload", params={"access_token": token, "type": "file"}, data=b"raw")
    assert not_multipart.status_code == 200 and not_multipart.json()["errcode"] == 40058
    bad_token = requests.post(server.base + "media/upload", params={"access_token": "nope", "type": "file"}, files={"media": open(f, "rb")})
    assert bad_token.json()["errcode"] == 40014


def test_size_limit(server, token, tmp_path):
    for size in (MAX_UPLOAD_BYTES + 1, MAX_UPLOAD_BYTES * 2):
        f = tmp_path / f"big{size}.bin"
        f.write_bytes(b"x" * size)
        r = requests.post(server.base + "media/upload", params={"access_token": token, "type": "file"}, files={"media": open(f, "rb")})
        assert r.status_code == 200, r.status_code
        body = r.json()
        assert body["errcode"] == 40058 and "payload_too_large" in body["errmsg"], body
    f = tmp_path / "fits.bin"
    f.write_bytes(b"y" * MAX_UPLOAD_BYTES)
    r = requests.post(server.base + "media/upload", params={"access_token": token, "type": "file"}, files={"media": open(f, "rb")})
    assert r.json()["errcode"] == 0


def test_expired_media_is_gone(server, client, tmp_path):
    f = tmp_path / "old.txt"
    f.write_bytes(b"old")
    with open(f, "rb") as fp:
        media_id = client.media.upload("file", fp)["media_id"]
    assert client.media.download(media_id).content == b"old"
    server.expire_media(media_id)
    gone = client.media.download(media_id)
    assert gone.status_code == 200 and gone.json()["errcode"] == 40007


def test_any_app_of_the_enterprise_may_use_media(server, client, tmp_path):
    f = tmp_path / "shared.txt"
    f.write_bytes(b"shared")
    with open(f, "rb") as fp:
        media_id = client.media.upload("file", fp)["media_id"]
    other = make_client(server, app="messenger")
    assert other.media.download(media_id).content == b"shared"
