#!/usr/bin/env bash
# `make setup` (run by `make test`): installs the system tools the suites need
# that a fresh Debian machine with Rust and Python lacks (Ubuntu too, but for
# the browser: its chromium packages are snap shims). Each tool
# is looked for first, so a set-up machine installs nothing. What cannot be
# installed here stops with one line naming the command that installs it.
# (The Python venvs and cargo-deny are make targets: `make venv`, `make deny`.)
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "make setup: $*" >&2; exit 1; }

# Rust itself is the one prerequisite (README); then the components for
# `cargo fmt` and `cargo clippy`.
command -v cargo >/dev/null || die "cargo is missing: install Rust (rustup), then run make test again"
for component in rustfmt clippy; do
  cmd=${component/rustfmt/fmt}
  cargo "$cmd" --version >/dev/null 2>&1 && continue
  command -v rustup >/dev/null || die "cargo $cmd is missing: install it with 'rustup component add $component'"
  rustup component add "$component" >&2
done

# Terraform: shared/tf-offline beside the checkout (this project's CI), or a
# Terraform on PATH, which fetches the AWS provider from the registry.
[[ -x ../shared/tf-offline/setup ]] || command -v terraform >/dev/null \
  || die "terraform is missing: install Terraform >= 1.10 (Debian/Ubuntu: 'apt-get install terraform' from HashiCorp's apt repository)"

# Debian packages, by the command the suites run.
declare -A package_of=(
  [chromium]=chromium [chromedriver]=chromium-driver  # browser suite (headless)
  [node]=nodejs                                       # canary script suite
  [curl]=curl [unzip]=unzip                           # make verbs, artifact checks
  [jq]=jq                                             # the deploy workflow's URL step, run by its test
  [readelf]=binutils [objdump]=binutils               # artifact checks (architecture, glibc)
)
# A Google Chrome (as on GitHub's runners) serves the browser suite as well.
command -v google-chrome >/dev/null && unset 'package_of[chromium]'
if [[ -v 'package_of[chromium]' ]] && ! command -v chromium >/dev/null \
  && grep -qs '^ID=ubuntu' /etc/os-release; then
  die "no browser for the browser suite: Ubuntu's chromium packages are snap shims; install Google Chrome and its chromedriver (on GitHub: browser-actions/setup-chrome)"
fi
missing=()
for cmd in "${!package_of[@]}"; do
  command -v "$cmd" >/dev/null || missing+=("${package_of[$cmd]}")
done
# `$PYTHON -m venv` (make's interpreter) needs ensurepip, which Debian ships separately.
"${PYTHON:-python3}" -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
(( ${#missing[@]} )) || exit 0

mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
install="apt-get install -y ${missing[*]}"
command -v apt-get >/dev/null || die "missing packages ${missing[*]}: install them with your package manager (on Debian/Ubuntu: $install)"
sudo=()
if (( EUID != 0 )); then
  command -v sudo >/dev/null || die "missing packages ${missing[*]}: as root, run: $install"
  sudo=(sudo)
fi
echo "make setup: installing ${missing[*]}" >&2
"${sudo[@]}" apt-get update -qq >&2 || die "apt-get update failed: run 'sudo apt-get update && sudo $install'"
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
  || die "apt-get could not install ${missing[*]}: run 'sudo $install'"
