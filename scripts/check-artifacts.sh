#!/usr/bin/env bash
# Checks each Lambda zip: one `bootstrap`, built for the requested
# architecture, needing at most glibc 2.34 (what provided.al2023 ships).
set -euo pipefail
dir=$1 arch=$2
shift 2
max_glibc=2.34
case $arch in
  x86_64) machine="X86-64" ;;
  arm64) machine="AArch64" ;;
  *) echo "unknown architecture $arch" >&2; exit 2 ;;
esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for function in "$@"; do
  zip="$dir/$function/bootstrap.zip"
  [[ -f $zip ]] || { echo "FAIL $function: $zip is missing" >&2; exit 1; }
  unzip -q -o "$zip" -d "$tmp/$function"
  binary="$tmp/$function/bootstrap"
  [[ -x $binary ]] || { echo "FAIL $function: the zip holds no executable bootstrap" >&2; exit 1; }
  readelf -h "$binary" | grep -q "Machine:.*$machine" \
    || { echo "FAIL $function: bootstrap is not built for $arch" >&2; exit 1; }
  needed=$(objdump -T "$binary" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n 1)
  if [[ -n $needed && $(printf '%s\n%s\n' "$needed" "$max_glibc" | sort -V | tail -n 1) != "$max_glibc" ]]; then
    echo "FAIL $function: needs glibc $needed, provided.al2023 has $max_glibc" >&2
    exit 1
  fi
  printf '%-18s %8d bytes zipped, glibc >= %s, %s\n' "$function" "$(stat -c %s "$zip")" "${needed:-none}" "$arch"
done
