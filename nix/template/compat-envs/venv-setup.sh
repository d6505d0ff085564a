# venv-setup DIR [REQUIREMENTS_FILE]: creates a venv in DIR when there is none and installs the
# requirements into it with pip (init-python-venv for a directory of your choice, e.g. a shared
# one so that pip runs once for every machine and rebuild). Part of python-fhs.nix.
set -eu
if [ "$#" -lt 1 ] || [ "$#" -gt 2 ]; then
  echo "usage: venv-setup DIR [REQUIREMENTS_FILE]" >&2
  exit 2
fi
dir=$1
if [ ! -x "$dir/bin/python" ]; then
  echo "creating a venv in $dir"
  python -m venv "$dir"
fi
if [ "$#" -eq 2 ]; then
  "$dir/bin/pip" install --requirement "$2"
fi
echo "venv ready: source $dir/bin/activate"
