#!/usr/bin/env bash
# install-deps.sh - install every Debian 12 package watchpost needs to build, test and fuzz.
# Idempotent: packages already present are not fetched again. Run as root.
set -euo pipefail

BUILD_PKGS=(
  build-essential cmake ninja-build pkgconf clang-14 libclang-rt-14-dev clang-tidy-14
  libgmime-3.0-dev libglib2.0-dev libyara-dev libarchive-dev libmagic-dev libmagic-mgc
  libjansson-dev libssl-dev zlib1g-dev libcmocka-dev
  libhyperscan-dev libspf2-dev libopendkim-dev libopendmarc-dev libsqlite3-dev libpsl-dev libidn2-dev
  libcurl4-openssl-dev
  knot knot-dnsutils
  libmilter-dev
  libmicrohttpd-dev libsodium-dev curl openssl
  chromium fonts-noto-cjk fonts-ipafont-gothic fonts-liberation nodejs
  wrk
  postfix swaks
  systemd
  debhelper dpkg-dev fakeroot miltertest
  python3 zip
)

# Postfix's postinst asks questions: answer them before it is installed (tests/milter runs a
# private loopback Postfix; "Local only" never relays). Re-running only re-sets the answers.
if command -v debconf-set-selections >/dev/null 2>&1 && [[ $EUID -eq 0 ]]; then
  echo "postfix postfix/main_mailer_type select Local only" | debconf-set-selections
  echo "postfix postfix/mailname string watchpost.test" | debconf-set-selections
fi

missing=()
for p in "${BUILD_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $EUID -ne 0 ]]; then
    echo "install-deps: missing packages: ${missing[*]} (run as root)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
