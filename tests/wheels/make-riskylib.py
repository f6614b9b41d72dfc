#!/usr/bin/env python3
"""Write riskylib-1.0-py3-none-any.whl into DIR, by hand (a wheel is a zip
with a dist-info), so the env e2e test needs no network and no pip on the
host.  Installing it writes the package `riskylib` and a console script
`riskylib`."""
import base64, hashlib, os, sys, zipfile

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
files = {
    "riskylib/__init__.py": "VERSION = '1.0'\n\ndef main():\n    print('riskylib', VERSION)\n",
    "riskylib-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: riskylib\nVersion: 1.0\n",
    "riskylib-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: envrun-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    "riskylib-1.0.dist-info/entry_points.txt": "[console_scripts]\nriskylib = riskylib:main\n",
    "riskylib-1.0.dist-info/top_level.txt": "riskylib\n",
}
record = []
path = os.path.join(out, "riskylib-1.0-py3-none-any.whl")
with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
    for name, text in files.items():
        data = text.encode()
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
        z.writestr(name, data)
    record.append("riskylib-1.0.dist-info/RECORD,,")
    z.writestr("riskylib-1.0.dist-info/RECORD", "\n".join(record) + "\n")
print(path)
