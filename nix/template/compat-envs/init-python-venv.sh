# init-python-venv [-r|--requirements FILE]: no-headache's command, same options. Creates a venv in
# ./venv when there is none and, with -r, installs FILE into it with pip. It runs in its own shell
# and cannot activate the venv for you: `source venv/bin/activate` afterwards. Part of
# python-fhs.nix (run it inside `python-fhs`, whose python and pip it uses).
set -eu
usage="Usage: init-python-venv [-r|--requirements FILE]
Creates ./venv (python -m venv venv) when missing and, with -r, runs pip install -r FILE in it.
Then enter it yourself: source venv/bin/activate"
requirements=""
while [ "$#" -gt 0 ]; do
  case "$1" in
  -r | --requirements)
    if [ "$#" -lt 2 ]; then
      printf 'init-python-venv: %s needs a file\n%s\n' "$1" "$usage" >&2
      exit 2
    fi
    requirements=$2
    shift 2
    ;;
  -h | --help)
    printf '%s\n' "$usage"
    exit 0
    ;;
  *)
    printf 'init-python-venv: unknown option: %s\n%s\n' "$1" "$usage" >&2
    exit 2
    ;;
  esac
done
if [ ! -e venv ]; then
  echo "creating a venv in $(pwd)/venv"
  python -m venv venv
fi
if [ -n "$requirements" ]; then
  venv/bin/pip install --requirement "$requirements"
fi
echo "venv ready: source venv/bin/activate"
