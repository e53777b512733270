#!/usr/bin/env bash
# Refresh the Vega libraries the report's Explore section inlines
# (src/ablation/report/vendor/, shipped as package data). Needs npm; run by hand
# when upgrading, then commit the files: nothing is downloaded when a report is made.
set -euo pipefail
VEGA=${VEGA:-6.4.0} LITE=${LITE:-6.4.3} INTERPRETER=${INTERPRETER:-2.3.2}
out=$(cd "$(dirname "$0")/.." && pwd)/src/ablation/report/vendor
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm pack --silent "vega@$VEGA" "vega-lite@$LITE" "vega-interpreter@$INTERPRETER" >/dev/null
for pair in vega:$VEGA vega-lite:$LITE vega-interpreter:$INTERPRETER; do
  name=${pair%%:*}
  mkdir "$name" && tar xzf "$name-${pair#*:}.tgz" -C "$name"
  cp "$name/package/LICENSE" "$out/LICENSE-$name"
done
for name in vega vega-lite; do
  sed 's#//\# sourceMappingURL=.*##' "$name/package/build/$name.min.js" >"$out/$name.min.js"
done
# vega-interpreter ships only as an ES module importing vega-util; the page's scripts
# are classic inline scripts, so take vega-util's names from the global `vega`.
python3 - "$tmp/vega-interpreter/package/build/vega-interpreter.js" "$out/vega-interpreter.js" "$INTERPRETER" <<'PY'
import re, sys
source, target, version = sys.argv[1:]
first, body = open(source).read().split("\n", 1)
assert first.startswith("import { ascending, isString, DisallowedObjectProperties } from 'vega-util'"), first
body = body.replace("export { expression as expressionInterpreter };", "vega.expressionInterpreter = expression;")
body = re.sub(r"//# sourceMappingURL=.*", "", body)
open(target, "w").write(
    f"// vega-interpreter {version} (BSD-3-Clause), its ES module wrapped as a classic script\n"
    "// (scripts/vendor_vega.sh): vega-util's names come from the global vega.\n"
    "(function (vega) {\n\"use strict\";\n"
    "const { ascending, isString, DisallowedObjectProperties } = vega;\n"
    f"{body}\n}})(vega);\n"
)
PY
echo "vendored vega $VEGA, vega-lite $LITE, vega-interpreter $INTERPRETER into $out"
