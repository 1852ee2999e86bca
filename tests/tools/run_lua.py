"""Runs an Argo CD health Lua script against objects: stdin is a JSON list of
objects, stdout a JSON list of {status, message}."""
import json
import sys

import lupa

script = open(sys.argv[1]).read()
results = []
for obj in json.load(sys.stdin):
    lua = lupa.LuaRuntime(unpack_returned_tuples=True)

    def convert(v):
        if isinstance(v, dict):
            t = lua.table()
            for k, x in v.items():
                t[k] = convert(x)
            return t
        if isinstance(v, list):
            t = lua.table()
            for i, x in enumerate(v, 1):
                t[i] = convert(x)
            return t
        return v

    lua.globals().obj = convert(obj)
    out = lua.execute(script)
    results.append({"status": out["status"], "message": out["message"]})
print(json.dumps(results))
