#!/usr/bin/env python3
"""Write a small OCI image layout for the env tests: two gzip layers (the
second deletes /gone with a whiteout and makes /d opaque), an image config
with Env and WorkingDir, ref name "t".  A third argument makes it hostile:
"traversal" (a ../ entry) or "baddigest" (a layer that does not match)."""
import gzip, hashlib, io, json, os, sys, tarfile

out, _top = sys.argv[1], sys.argv[2]
mode = sys.argv[3] if len(sys.argv) > 3 else ""
os.makedirs(out + "/blobs/sha256")

def blob(data):
    d = hashlib.sha256(data).hexdigest()
    open(f"{out}/blobs/sha256/{d}", "wb").write(data)
    return "sha256:" + d, len(data)

def layer(entries):
    raw = io.BytesIO()
    t = tarfile.open(fileobj=raw, mode="w")
    for name, kind in entries:
        i = tarfile.TarInfo(name)
        if kind == "dir":
            i.type = tarfile.DIRTYPE; i.mode = 0o755; t.addfile(i)
        else:
            data = b"" if name.split("/")[-1].startswith(".wh.") else b"data\n"
            i.size = len(data); t.addfile(i, io.BytesIO(data))
    t.close()
    return gzip.compress(raw.getvalue())

l1 = layer([("keep", "f"), ("gone", "f"), ("d", "dir"), ("d/old", "f")])
e2 = [(".wh.gone", "f"), ("d", "dir"), ("d/.wh..wh..opq", "f"), ("d/new", "f")]
if mode == "traversal":
    e2.append(("../../escape", "f"))
l2 = layer(e2)
d1, s1 = blob(l1)
d2, s2 = blob(l2)
if mode == "baddigest":
    open(f"{out}/blobs/sha256/{d2[7:]}", "wb").write(l1)
cfg = json.dumps({"architecture": "amd64", "os": "linux",
                  "config": {"Env": ["A=1", "PATH=/bin"], "WorkingDir": "/d"},
                  "rootfs": {"type": "layers", "diff_ids": []}}).encode()
dc, sc = blob(cfg)
lt = "application/vnd.oci.image.layer.v1.tar+gzip"
man = json.dumps({"schemaVersion": 2,
                  "mediaType": "application/vnd.oci.image.manifest.v1+json",
                  "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                             "digest": dc, "size": sc},
                  "layers": [{"mediaType": lt, "digest": d1, "size": s1},
                             {"mediaType": lt, "digest": d2, "size": s2}]}).encode()
dm, sm = blob(man)
json.dump({"schemaVersion": 2, "manifests": [
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": dm,
     "size": sm, "annotations": {"org.opencontainers.image.ref.name": "t"}}]},
    open(out + "/index.json", "w"))
open(out + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
