#!/usr/bin/env bash
# Print the path of a Python 3.10 interpreter (Rasa 3.6 supports 3.8-3.10 only), or explain what to install.
set -u
candidates=()
if command -v pyenv >/dev/null 2>&1; then
  prefix=$(pyenv prefix 3.10 2>/dev/null || true)
  [ -z "$prefix" ] && prefix=$(pyenv root 2>/dev/null)/versions/$(pyenv versions --bare 2>/dev/null | grep -E '^3\.10(\.|$)' | tail -n 1)
  [ -n "$prefix" ] && candidates+=("$prefix/bin/python3.10")
fi
candidates+=("$(command -v python3.10 2>/dev/null || true)" /usr/bin/python3.10 /usr/local/bin/python3.10)
for py in "${candidates[@]}"; do
  if [ -n "$py" ] && [ -x "$py" ] && "$py" -c 'import sys, venv; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then
    echo "$py"
    exit 0
  fi
done
echo "Python 3.10 was not found. Rasa 3.6 needs Python 3.8-3.10: install it (e.g. 'pyenv install 3.10'," >&2
echo "or your system's python3.10 and python3.10-venv packages), then run make again." >&2
exit 1
