"""Drive Garda's TAXII 2.1 server with OASIS's own client (taxii2-client).

Called by TestOASISClient with a JSON plan on stdin; prints what each step
saw as JSON on stdout. The assertions are the Go test's.
"""
import json
import sys

import requests
from taxii2client.v21 import Server, ApiRoot, Collection, Status, as_pages


class Bearer(requests.auth.AuthBase):
    def __init__(self, token):
        self.token = token

    def __call__(self, r):
        r.headers["Authorization"] = "Bearer " + self.token
        return r


def connect(plan, user):
    tok = plan["tokens"][user]
    if plan["auth"].get(user) == "bearer":
        return Server(plan["url"], auth=Bearer(tok))
    return Server(plan["url"], user=user, password=tok)


def tlp_collections(root):
    return [c for c in root.collections if c.title.startswith("TLP:")]


def main():
    plan = json.load(sys.stdin)
    out = {"users": {}}
    for user in plan["tokens"]:
        server = connect(plan, user)
        root = server.default
        seen = {"objects": [], "pages": 0, "page_sizes": []}
        for col in tlp_collections(root):
            if not col.can_read:
                continue
            for env in as_pages(col.get_objects, per_request=2):
                seen["pages"] += 1
                objs = env.get("objects", [])
                seen["page_sizes"].append(len(objs))
                for o in objs:
                    seen["objects"].append({"id": o["id"], "type": o["type"], "markings": o.get("object_marking_refs", []),
                                            "created_by_ref": o.get("created_by_ref"), "collection": col.title, "body": o})
        out["users"][user] = seen

    # One user walks the rest of the protocol.
    user = plan["walker"]
    server = connect(plan, user)
    out["discovery"] = {"title": server.title, "api_roots": [r.url for r in server.api_roots], "default": server.default.url}
    root = ApiRoot(server.default.url, user=user, password=plan["tokens"][user])
    out["api_root"] = {"title": root.title, "versions": root.versions, "max_content_length": root.max_content_length}
    out["collections"] = [{"id": c.id, "title": c.title, "can_read": c.can_read, "can_write": c.can_write} for c in root.collections]
    amber = [c for c in root.collections if c.title == "TLP:AMBER"][0]
    manifest = amber.get_manifest()
    out["manifest"] = manifest.get("objects", [])
    first = [m for m in out["manifest"] if m["id"].startswith("indicator--")][0]
    out["added_after"] = [o["id"] for o in amber.get_objects(added_after=first["date_added"]).get("objects", [])]
    out["versions"] = amber.object_versions(first["id"]).get("versions", [])
    out["object"] = [o["id"] for o in amber.get_object(first["id"]).get("objects", [])]
    # The other kept objects through the filters: by type, by id, by
    # version, and the versions of a sighting.
    out["by_type"] = {}
    for t in ("sighting", "report", "identity", "marking-definition", "indicator,report"):
        out["by_type"][t] = [o["id"] for o in amber.get_objects(type=t).get("objects", [])]
    # A revoked indicator's two versions.
    green = [c for c in root.collections if c.title == "TLP:GREEN"][0]
    out["revoked_versions"] = green.object_versions(plan["revoked"]).get("versions", [])
    out["revoked_all"] = [[o["modified"], o.get("revoked", False)] for o in green.get_objects(id=plan["revoked"], version="all").get("objects", [])]
    out["revoked_last"] = [[o["modified"], o.get("revoked", False)] for o in green.get_object(plan["revoked"]).get("objects", [])]
    sighting = out["by_type"]["sighting"][0]
    out["sighting_versions"] = amber.object_versions(sighting).get("versions", [])
    out["sighting_by_id"] = [o["id"] for o in amber.get_objects(id=sighting).get("objects", [])]
    out["sighting_by_version"] = [o["id"] for o in amber.get_objects(id=sighting, version=out["sighting_versions"][0]).get("objects", [])]
    out["sighting_old_version"] = [o["id"] for o in amber.get_objects(id=sighting, version="2001-01-01T00:00:00.000Z").get("objects", [])]

    status = amber.add_objects(plan["post"], wait_for_completion=False)
    polled = Status(status.url, user=user, password=plan["tokens"][user])
    polled.wait_until_final(poll_interval=0.2, timeout=20)
    out["status"] = {"status": polled.status, "total": polled.total_count, "success": polled.success_count,
                     "failure": polled.failure_count, "successes": polled.successes, "failures": polled.failures}
    out["posted_readback"] = [o["id"] for o in amber.get_objects(**{"id": plan["post"]["objects"][0]["id"]}).get("objects", [])]
    json.dump(out, sys.stdout)


main()
