"""Archiving and migration scripts written for Etherpad, run unchanged against ypad."""
import json
import subprocess
import sys
from pathlib import Path
from urllib.request import urlopen

import pytest
from etherpad_lite import EtherpadLiteClient, EtherpadException
from py_etherpad import EtherpadLiteClient as PyEtherpadLiteClient


def test_etherpad_lite_client(ypad):
    c = EtherpadLiteClient(
        base_params={"apikey": ypad.api_key}, base_url=ypad.url + "/api", api_version="1.2.13"
    )
    c.createPad(padID="el-notes", text="first line")
    assert c.getText(padID="el-notes") == {"text": "first line\n"}
    c.setText(padID="el-notes", text="# Session\n- decided: ship it\n")
    c.appendText(padID="el-notes", text="- action: write docs\n")
    assert c.getText(padID="el-notes")["text"] == "# Session\n- decided: ship it\n- action: write docs\n"
    assert c.getRevisionsCount(padID="el-notes") == {"revisions": 3}
    assert "el-notes" in c.listAllPads()["padIDs"]
    assert "<h1>Session</h1>" in c.getHTML(padID="el-notes")["html"]
    with pytest.raises(EtherpadException, match="padID does not exist"):
        c.getText(padID="missing")
    bad = EtherpadLiteClient(base_params={"apikey": "nope"}, base_url=ypad.url + "/api", api_version="1.2.13")
    with pytest.raises(Exception):
        bad.listAllPads()


def test_pyetherpadlite_client(ypad):
    c = PyEtherpadLiteClient(apiKey=ypad.api_key, baseUrl=ypad.url + "/api")
    c.createPad("py-notes", "hello")
    c.setText("py-notes", "hello from python")
    assert c.getText("py-notes") == {"text": "hello from python\n"}
    assert c.getRevisionsCount("py-notes") == {"revisions": 2}
    assert "py-notes" in c.listAllPads()["padIDs"]
    # Its POST form sends the key as an `apikey` header.
    assert c.call("getRevisionsCount", {"POST": {"padID": "py-notes"}}) == {"revisions": 2}
    author = c.createAuthor("Moderator")["authorID"]
    assert c.getAuthorName(author) == "Moderator"
    # The plain export URLs, no key needed.
    with urlopen(ypad.url + "/p/py-notes/export/markdown") as r:
        assert r.read().decode() == "hello from python"
    with urlopen(ypad.url + "/p/py-notes/export/txt") as r:
        assert r.read().decode() == "hello from python"


def etherdump(*args, cwd):
    return subprocess.run(
        [sys.executable, "-c", "import sys, etherdump; sys.argv[0] = 'etherdump'; etherdump.main()", *args],
        cwd=cwd, capture_output=True, text=True, timeout=120,
    )


def test_etherdump_pull(ypad, tmp_path):
    c = EtherpadLiteClient(base_params={"apikey": ypad.api_key}, base_url=ypad.url + "/api", api_version="1.2.13")
    pads = {"summit-a": "# Keynote\nnotes a\n", "summit-b": "# Panel\nnotes b\n"}
    for pad, text in pads.items():
        c.createPad(padID=pad, text=text)

    init = etherdump("init", "--padurl", ypad.url, "--apikey", ypad.api_key, cwd=tmp_path)
    assert init.returncode == 0, init.stdout + init.stderr
    info = json.loads((tmp_path / "etherpad_info.json").read_text())
    assert info["apiurl"] == ypad.url + "/api/1.2.9/"

    pull = etherdump("pull", "--glob", "summit-*", "--pub", "out", cwd=tmp_path)
    assert pull.returncode == 0, pull.stdout + pull.stderr
    assert "2 pad(s) loaded" in pull.stderr, pull.stderr
    for pad, text in pads.items():
        assert (tmp_path / "out" / f"{pad}.raw.txt").read_text() == text
        meta = json.loads((tmp_path / "out" / f"{pad}.meta.json").read_text())
        assert meta["revisions"] == 1
        assert "<h1>" in (tmp_path / "out" / f"{pad}.raw.html").read_text()


def test_groups_and_sessions_as_portals_call_them(ypad):
    """The calls a portal (Moodle, BigBlueButton, Nextcloud) makes to give a user a group pad."""
    import time
    from urllib.error import HTTPError
    from urllib.request import Request

    c = EtherpadLiteClient(base_params={"apikey": ypad.api_key}, base_url=ypad.url + "/api", api_version="1.2.13")
    group = c.createGroupIfNotExistsFor(groupMapper="moodle-course-7")["groupID"]
    assert c.createGroupIfNotExistsFor(groupMapper="moodle-course-7")["groupID"] == group
    pad = c.createGroupPad(groupID=group, padName="week-1", text="Week 1")["padID"]
    assert pad == group + "$week-1"
    assert c.listPads(groupID=group) == {"padIDs": [pad]}
    author = c.createAuthorIfNotExistsFor(authorMapper="moodle-user-3", name="Student")["authorID"]
    session = c.createSession(groupID=group, authorID=author, validUntil=str(int(time.time()) + 3600))["sessionID"]
    assert c.getSessionInfo(sessionID=session)["groupID"] == group
    assert session in c.listSessionsOfGroup(groupID=group)
    assert c.getPublicStatus(padID=pad) == {"publicStatus": False}
    with pytest.raises(EtherpadException, match="validUntil is in the past"):
        c.createSession(groupID=group, authorID=author, validUntil=str(int(time.time()) - 60))

    url = ypad.url + "/p/" + pad.replace("$", "%24") + "/export/txt"
    with pytest.raises(HTTPError) as refused:
        urlopen(url)
    assert refused.value.code == 403
    with urlopen(Request(url, headers={"Cookie": "sessionID=" + session})) as r:
        assert r.read().decode() == "Week 1"
    c.deleteSession(sessionID=session)
    with pytest.raises(HTTPError):
        urlopen(Request(url, headers={"Cookie": "sessionID=" + session}))
    c.deleteGroup(groupID=group)
    assert c.listAllGroups() == {"groupIDs": []}
