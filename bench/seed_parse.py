"""Times the seed guide's own Python conversion on the lines of a log file.

The function under test is extracted from the guide's first ```python block at
run time, never copied: this measures exactly what users of the guide run.
boto3 and requests are replaced by empty modules because only the parsing and
conversion functions are called.

Usage: python3 bench/seed_parse.py GUIDE.md LINES_FILE MODE
MODE: parse (convert_log_line_to_json) or convert (that plus convert_to_otlp_format
and json.dumps of each batch of 100, as the guide's Lambda does per batch).
Runs three times and reports the best run, as the Node side does.
Prints one JSON line: {"lines": N, "seconds": S, "linesPerSecond": R}.
"""

import json
import re
import sys
import time
import types

guide, lines_file, mode = sys.argv[1], sys.argv[2], sys.argv[3]
with open(guide, encoding="utf-8") as f:
    text = f.read()
blocks = re.findall(r"```python\n(.*?)```", text, re.S)
if not blocks:
    sys.exit(f"no python block in {guide}")
for name in ("boto3", "requests"):
    module = types.ModuleType(name)
    module.client = lambda *a, **k: None
    sys.modules[name] = module
namespace = {}
exec(compile(blocks[0], guide, "exec"), namespace)
convert_line = namespace["convert_log_line_to_json"]
convert_batch = namespace["convert_to_otlp_format"]

with open(lines_file, encoding="utf-8") as f:
    lines = [line for line in f.read().split("\n") if line.strip()]

RUNS = 3
seconds = float("inf")
for _ in range(RUNS):
    start = time.perf_counter()
    if mode == "parse":
        for line in lines:
            convert_line(line)
    else:
        for i in range(0, len(lines), 100):
            json.dumps(convert_batch([convert_line(line) for line in lines[i : i + 100]]))
    seconds = min(seconds, time.perf_counter() - start)
print(json.dumps({"lines": len(lines), "seconds": seconds, "linesPerSecond": len(lines) / seconds}))
