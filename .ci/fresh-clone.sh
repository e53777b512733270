#!/usr/bin/env bash
# A fresh clone in an empty folder, as a new user gets it: no ../shared beside it, no
# ABLATION_DATA_DIR, datasets downloaded through torchvision. The internet is simulated:
# torchvision's mirrors point at a local HTTP server on 127.0.0.1 that serves the original
# files from SOURCE (a folder of datasets with MNIST/raw and FashionMNIST/raw).
#
#   bash .ci/fresh-clone.sh SOURCE                      # clone, then `bash .ci/run` in it
#   VENV=.venv bash .ci/fresh-clone.sh SOURCE -m "not workflow"   # reuse an environment,
#                                                       # run `pytest ARGS...` in the clone
#
# The clone is of the committed HEAD. Without VENV it runs .ci/run (a new .venv from PyPI,
# system packages when root); with VENV it activates that environment and runs the README's
# test command, then prepares the data of the smoke study through the workflow.
set -euo pipefail
source_dir="$(cd "${1:?usage: bash .ci/fresh-clone.sh SOURCE [PYTEST ARGS...]}" && pwd)"
shift
repo="$(cd "$(dirname "$0")/.." && pwd)"
venv="${VENV:+$(cd "$repo" && cd "$VENV" && pwd)}"
work="$(mktemp -d)"
server=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# The mirror: <Class>/<file>.gz over HTTP, from the original files (gzip as published).
mkdir -p "$work/mirror" "$work/hook"
for class in MNIST FashionMNIST; do
    mkdir -p "$work/mirror/$class"
    for f in "$source_dir/$class/raw/"*; do
        case "$f" in
            *.gz) cp "$f" "$work/mirror/$class/" ;;
            *) gzip -c -n "$f" > "$work/mirror/$class/$(basename "$f").gz" ;;
        esac
    done
done
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$work/mirror" > "$work/server.log" 2>&1 &
server=$!

# Every Python process of the run (pytest, Snakemake and its jobs) imports this first and
# points torchvision's dataset classes at the local mirror when they load. The copies in
# SOURCE may be recompressed (same images, other .gz bytes), so the mirror also tells
# torchvision the MD5s of the files it serves: its check then guards the transfer.
md5s="$(cd "$work/mirror" && python3 -c 'import hashlib, pathlib
print({str(p): hashlib.md5(p.read_bytes()).hexdigest() for p in sorted(pathlib.Path().glob("*/*.gz"))})')"
cat > "$work/hook/sitecustomize.py" <<EOF
import importlib.abc
import importlib.util
import sys

MIRROR = "http://127.0.0.1:$port/"
MD5 = $md5s


class _Mirrors(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "torchvision.datasets.mnist":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            for cls in (module.MNIST, module.FashionMNIST):
                cls.mirrors = [f"{MIRROR}{cls.__name__}/"]
                cls.resources = [(f, MD5[f"{cls.__name__}/{f}"]) for f, _ in cls.resources]

        spec.loader.exec_module = exec_module
        return spec


sys.meta_path.insert(0, _Mirrors())
EOF

git clone --quiet "$repo" "$work/clone/project"
cd "$work/clone/project"
[ ! -e ../shared ] || { echo "fresh-clone: ../shared exists beside the clone" >&2; exit 1; }
unset ABLATION_DATA_DIR PYTHONPATH
export PYTHONPATH="$work/hook"
if [ -z "$venv" ]; then
    bash .ci/run "$@"
else
    . "$venv/bin/activate"
    export PYTHONPATH="$work/hook:$PWD/src"  # the clone's code, the environment's packages
    pytest "$@"
    snakemake --cores 2 results/data/mnist.pt --configfile config/quick.yaml
    test -s results/data/mnist.pt
fi
grep -q "GET /MNIST/" "$work/server.log" || { echo "fresh-clone: nothing came from the mirror" >&2; exit 1; }
echo "fresh-clone: passed ($(grep -c 'GET /' "$work/server.log") files from the local mirror)"
