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
