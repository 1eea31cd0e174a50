#!/usr/bin/env bash
# The lab tests (crates/lab) build a cluster's data plane in network namespaces:
# they need `ip` (iproute2), `nft` (nftables) and `conntrack`; the tutorial in
# docs/lab.md uses `curl` and `nc`; the cluster DNS tests and `lab probe` use
# `dig` (dnsutils). Installed with apt when missing, as root only
# (without root the lab tests skip with a printed reason).
set -euo pipefail
[ "$(id -u)" = 0 ] || exit 0
command -v apt-get >/dev/null || exit 0
missing=()
command -v ip >/dev/null || missing+=(iproute2)
command -v nft >/dev/null || missing+=(nftables)
command -v conntrack >/dev/null || missing+=(conntrack)
command -v curl >/dev/null || missing+=(curl)
command -v nc >/dev/null || missing+=(netcat-openbsd)
command -v dig >/dev/null || missing+=(dnsutils)
[ ${#missing[@]} -eq 0 ] && exit 0
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
