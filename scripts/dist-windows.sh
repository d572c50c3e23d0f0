#!/usr/bin/env bash
# The Windows installer in dist/: Switchboard-<version>-setup.exe, a per-user NSIS installer
# (scripts/windows/switchboard.nsi) of the release app cross-built for x86_64-pc-windows-gnu,
# with the WebView2Loader.dll a -gnu build loads at run time beside it.
#
# Built with Debian's makensis rather than Tauri's NSIS bundler, which downloads a plugin
# from GitHub that this machine cannot reach. Nothing here can run the result: Debian 12's
# Wine 8.0 cannot start what current Rust links (README, "Tested where"). What is checked:
# makensis refuses to build without both files, and the .exe needs no MinGW runtime DLL.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
TARGET=x86_64-pc-windows-gnu
./scripts/windows-toolchain.sh --installer
[ -f ui/dist/index.html ] || ./scripts/setup.sh

echo "==> release build for $TARGET (a cold cross build takes 20-40 minutes on 2 cores)"
cargo build --release --locked --target "$TARGET"
out="$CARGO_TARGET_DIR/$TARGET/release"
loader="$(ls -t "$out"/build/webview2-com-sys-*/out/x64/WebView2Loader.dll | head -1)"

# What the .exe loads: Windows' own DLLs and WebView2Loader.dll, shipped beside it. A -gnu
# build that linked MinGW's runtime dynamically would need DLLs no Windows PC has.
imports="$(x86_64-w64-mingw32-objdump -p "$out/switchboard.exe" | sed -n 's/^\s*DLL Name: //p' | sort -u)"
echo "switchboard.exe imports: $(echo $imports)"
if echo "$imports" | grep -qiE '^lib(gcc|winpthread|stdc)'; then
  echo "switchboard.exe needs MinGW runtime DLLs that Windows does not have" >&2
  exit 1
fi

version="$(sed -n 's/^  "version": "\([^"]*\)",$/\1/p' tauri.conf.json)"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
cp "$out/switchboard.exe" "$loader" "$stage/"
mkdir -p dist
setup="dist/Switchboard-$version-setup.exe"
makensis -V2 -DVERSION="$version" -DAPPDIR="$stage" -DICON="$PWD/src-tauri/icons/icon.ico" \
  -DOUTFILE="$PWD/$setup" scripts/windows/switchboard.nsi
ls -l "$setup"
