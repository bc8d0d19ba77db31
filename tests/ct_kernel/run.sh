#!/usr/bin/env bash
# Runs ct_kernel.py with a Python that has scapy (Debian's python3-scapy lives in
# /usr/bin/python3, which a pyenv or venv python3 on PATH may hide).
#   run.sh CT_REPLAY CT_KERNEL_PY [ct_kernel.py options]
set -u
for py in /usr/bin/python3 python3; do
	if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import scapy' 2>/dev/null; then
		exec "$py" "$2" --replay "$1" "${@:3}"
	fi
done
echo "SKIP: no python3 with scapy (Debian package python3-scapy)"
exit 77
