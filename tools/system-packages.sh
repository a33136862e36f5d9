#!/usr/bin/env bash
# Install the Debian packages a target needs, if missing. As root on Debian this
# installs them; otherwise it names what to install and stops.
set -euo pipefail
case "${1:-run}" in
  run) want=(mat2 bubblewrap libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk) ;;
  test) want=(mat2 bubblewrap libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk postgresql chromium gettext dovecot-imapd) ;;
  bench) want=(mat2 bubblewrap postgresql nginx wrk dovecot-imapd) ;;
  *) echo "usage: $0 run|test|bench" >&2; exit 2 ;;
esac
missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages: ${missing[*]}. Install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
